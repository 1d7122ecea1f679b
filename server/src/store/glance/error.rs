//! Why the Glance store refuses an operation, named after the rule that refuses it. The words
//! are Glance's own (what its exceptions say); `glance/error.rs` decides the status and the
//! envelope clients see.

use std::fmt;

use super::query::QueryError;
use super::{MEMBER_QUOTA, PROPERTY_QUOTA, SIZE_CAP, Status, TAG_QUOTA, Visibility};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    // Who may see and change what.
    /// The image does not exist, is deleted, or the caller may not see it.
    #[error("No image found with ID {0}")]
    NotVisible(String),
    /// The same, for a delete, which Glance words after the operation.
    #[error("Failed to find image {0} to delete")]
    NoImageToDelete(String),
    /// A policy rule (`modify_image`, `publicize_image`, ...) refuses the caller.
    #[error("You are not authorized to complete {0} action.")]
    Denied(&'static str),
    /// Only an administrator creates images for another project.
    #[error("You are not permitted to create images owned by '{0}'.")]
    ForeignOwner(String),
    /// Only an administrator changes an image's owner.
    #[error("Owner can't be updated by non admin.")]
    OwnerNeedsAdmin,
    #[error("Image {0} is protected and cannot be deleted.")]
    Protected(String),
    /// A deactivated image's data is for administrators only.
    #[error("The requested image has been deactivated. Image data download is forbidden.")]
    Deactivated,

    // Attributes and their values.
    /// An attribute only Glance sets (see [`super::is_read_only`]).
    #[error("Attribute '{0}' is read-only.")]
    ReadOnly(String),
    /// A name Glance keeps for itself (see [`super::is_reserved`]).
    #[error("Attribute '{0}' is reserved.")]
    Reserved(String),
    /// Locations are never shown, so they cannot be patched.
    #[error("It's not allowed to update locations if locations are invisible.")]
    LocationsHidden,
    #[error("Custom property should not be greater than 255 characters.")]
    PropertyNameTooLong,
    /// `min_ram` or `min_disk` outside a 32-bit count.
    #[error("Invalid value '{value}' for {attr}: it must be between 0 and 2147483647.")]
    OutOfRange { attr: &'static str, value: String },
    #[error("Invalid visibility value: {0}")]
    InvalidVisibility(String),
    /// A value the image schema refuses (the validator's words).
    #[error("Provided object does not match schema 'image': {0}")]
    SchemaMismatch(String),
    /// The served image schema cannot be used (a build error, never a request's).
    #[error("{0}")]
    SchemaUnusable(String),
    /// Ids are never reused, not even a deleted image's.
    #[error("Image ID {0} already exists!")]
    IdTaken(String),
    #[error("Maximum number of {} exceeded: {}", .0.counted(), .0.limit())]
    QuotaExceeded(Quota),

    // Patches.
    /// An operation with none, or more than one, of `add`, `remove` and `replace`.
    #[error(
        "Operation objects must contain exactly one member named \"add\", \"remove\", or \"replace\"."
    )]
    NoOperation,
    #[error("Invalid JSON pointer for this resource: '{0}'")]
    BadPointer(String),
    #[error("Operation \"{0}\" requires a member named \"value\".")]
    MissingValue(&'static str),
    /// A base attribute can be replaced, never removed.
    #[error("Property {0} may not be removed.")]
    NotRemovable(String),
    #[error("Property {0} does not exist.")]
    NoSuchProperty(String),
    /// An `add` of something that exists, with the v2.0 patch media type.
    #[error("Property {0} already present.")]
    AlreadyPresent(String),
    /// The formats only change while the image has no data.
    #[error("Attribute {0} can be only replaced for a queued image.")]
    FormatLocked(String),

    // Status, tags and members.
    /// Only an active image deactivates and only a deactivated one reactivates.
    #[error("Not allowed to {action} image in status '{}'", .status.as_str())]
    NotSwitchable { action: &'static str, status: Status },
    #[error("Tag is longer than 255 characters.")]
    TagTooLong,
    #[error("Tag {0} not found")]
    NoSuchTag(String),
    #[error("Member can't be empty")]
    EmptyMember,
    #[error("Only shared images have members; image {id} is {}.", .visibility.as_str())]
    NotShared { id: String, visibility: Visibility },
    #[error("Member {member} already associated with image {id}.")]
    AlreadyMember { id: String, member: String },
    #[error("Member {0} not found")]
    NoSuchMember(String),

    // Data.
    /// Data is only uploaded to a `queued` image.
    #[error("Image status transition from {} to saving is not allowed", .0.as_str())]
    NotQueued(Status),
    #[error("{0} must be set prior to saving data.")]
    FormatsUnset(Unset),
    /// The image was deleted while its data streamed in.
    #[error(
        "Image {0} could not be found after upload. The image may have been deleted during the upload."
    )]
    DeletedDuringUpload(String),
    #[error("Error reading the image data: {0}")]
    DataUnreadable(String),
    #[error("Image exceeds the storage quota: the image size cap is {SIZE_CAP} bytes.")]
    OverSizeCap,
    /// The data's size is not the one the upload announced.
    #[error(
        "Image size {size} does not match the announced size {announced} (x-openstack-image-size)."
    )]
    SizeMismatch { size: i64, announced: i64 },
    /// The data's leading bytes show another format than the image's `disk_format`.
    #[error("Image disk_format {declared} does not match stream data {detected}")]
    FormatMismatch { declared: String, detected: &'static str },
    #[error("The data of image {0} is not in the data directory")]
    DataMissing(String),
    #[error("Requested range {0} is not satisfiable")]
    RangeUnsatisfiable(String),
    #[error("Multiple ranges are not supported.")]
    MultipleRanges,
    #[error("The range cannot be read")]
    RangeUnreadable,

    // Listings.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// A marker that names no image.
    #[error("No image found with ID {0}")]
    NoMarker(String),
    #[error("Forbidding request, image {0} not visible")]
    MarkerNotVisible(String),
}

pub type Result<T> = std::result::Result<T, ImageError>;

/// What a Glance quota counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    /// `image_property_quota`.
    Properties,
    /// `image_tag_quota`.
    Tags,
    /// `image_member_quota`.
    Members,
}

impl Quota {
    pub fn limit(self) -> usize {
        match self {
            Quota::Properties => PROPERTY_QUOTA,
            Quota::Tags => TAG_QUOTA,
            Quota::Members => MEMBER_QUOTA,
        }
    }

    fn counted(self) -> &'static str {
        match self {
            Quota::Properties => "properties",
            Quota::Tags => "tags",
            Quota::Members => "image members",
        }
    }
}

/// Which formats an upload found unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unset {
    Disk,
    Container,
    Both,
}

impl fmt::Display for Unset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unset::Disk => "Property disk_format",
            Unset::Container => "Property container_format",
            Unset::Both => "Properties disk_format, container_format",
        })
    }
}

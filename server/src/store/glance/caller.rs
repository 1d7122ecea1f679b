//! Who is asking, and Glance's rules for what a caller may see and change.

use super::{Image, Member, Status, Visibility};

/// Who is asking: a project (none for a project-less context) and roles, with Keystone's implied
/// roles expanded (admin ⇒ member ⇒ reader).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub project: Option<String>,
    pub admin: bool,
    pub member: bool,
    pub reader: bool,
}

impl Caller {
    pub fn new(project: Option<String>, roles: &[String]) -> Self {
        let has = |r: &str| roles.iter().any(|x| x.eq_ignore_ascii_case(r));
        let admin = has("admin");
        let member = admin || has("member");
        Self { project, admin, member, reader: member || has("reader") }
    }

    pub(super) fn owns(&self, image: &Image) -> bool {
        self.project.is_some() && image.owner == self.project
    }

    pub(super) fn membership<'a>(&self, image: &'a Image) -> Option<&'a Member> {
        let project = self.project.as_deref()?;
        image.members.iter().find(|m| m.member_id == project)
    }

    /// Glance's `get_image` rule; deleted images are invisible to everyone.
    pub fn can_see(&self, image: &Image) -> bool {
        if image.status == Status::Deleted {
            return false;
        }
        if self.admin {
            return true;
        }
        self.reader
            && match image.visibility {
                Visibility::Public | Visibility::Community => true,
                Visibility::Private => self.owns(image),
                Visibility::Shared => self.owns(image) || self.membership(image).is_some(),
            }
    }

    /// `modify_image`, `delete_image`, `upload_image`, deactivate and members: the owning
    /// project's members, or an administrator.
    pub fn can_modify(&self, image: &Image) -> bool {
        self.admin || (self.member && self.owns(image))
    }
}

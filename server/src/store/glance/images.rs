//! Creating and deleting images, deactivating and reactivating them, and their tags. Every
//! check is made before anything changes, so a refused request leaves the image as it was.

use time::OffsetDateTime;

use super::{
    Caller, GlanceState, Image, ImageError, Memo, NewImage, PROPERTY_QUOTA, Quota, Result, Status,
    TAG_QUOTA, Visibility, dedup, is_read_only, is_reserved, truncate,
};

impl GlanceState {
    pub fn create(&mut self, caller: &Caller, new: NewImage, now: OffsetDateTime) -> Result<Image> {
        if let Some(key) = new.server_set.iter().find(|k| is_read_only(k)) {
            return Err(ImageError::ReadOnly((*key).to_owned()));
        }
        if let Some(key) = new.server_set.first() {
            return Err(ImageError::Reserved((*key).to_owned()));
        }
        for key in new.properties.keys() {
            if key.chars().count() > 255 {
                return Err(ImageError::PropertyNameTooLong);
            }
            if is_reserved(key) {
                return Err(ImageError::Reserved(key.clone()));
            }
        }
        let owner = match new.owner {
            Some(o) if Some(&o) != caller.project.as_ref() && !caller.admin => {
                return Err(ImageError::ForeignOwner(o));
            }
            Some(o) => Some(o),
            None => caller.project.clone(),
        };
        if !caller.member {
            return Err(ImageError::Denied("add_image"));
        }
        let visibility = new.visibility.unwrap_or(Visibility::Shared);
        if visibility == Visibility::Public && !caller.admin {
            return Err(ImageError::Denied("publicize_image"));
        }
        let tags = dedup(new.tags);
        check_counts(new.properties.len(), tags.len())?;
        check_min("min_ram", new.min_ram)?;
        check_min("min_disk", new.min_disk)?;
        let id = new.id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if self.images.contains_key(&id) || self.deleted.contains(&id) {
            return Err(ImageError::IdTaken(id));
        }
        let now = truncate(now);
        let image = Image {
            id: id.clone(),
            name: new.name,
            status: Status::Queued,
            visibility,
            protected: new.protected,
            os_hidden: new.os_hidden,
            checksum: None,
            os_hash_algo: None,
            os_hash_value: None,
            owner,
            size: None,
            virtual_size: None,
            container_format: new.container_format,
            disk_format: new.disk_format,
            min_ram: new.min_ram,
            min_disk: new.min_disk,
            created_at: now,
            updated_at: now,
            tags,
            properties: new.properties,
            members: Vec::new(),
            memo: Memo::default(),
        };
        self.index.insert(&image);
        self.changed.add(&id);
        self.images.insert(id, image.clone());
        Ok(image)
    }

    pub fn show(&self, caller: &Caller, id: &str) -> Result<&Image> {
        self.visible(caller, id)
    }

    /// Deletes in any status; returns whether the image had stored data to remove. The record
    /// leaves the table and its indices; its id stays reserved.
    pub fn delete(&mut self, caller: &Caller, id: &str) -> Result<bool> {
        let image = self.writable(caller, id, "delete_image").map_err(|e| match e {
            ImageError::NotVisible(id) => ImageError::NoImageToDelete(id),
            other => other,
        })?;
        if image.protected {
            return Err(ImageError::Protected(id.to_owned()));
        }
        let had_data = image.size.is_some();
        drop(image);
        if let Some(image) = self.images.remove(id) {
            self.index.remove(&image);
            self.deleted.insert(id);
        }
        Ok(had_data)
    }

    pub fn set_active(
        &mut self,
        caller: &Caller,
        id: &str,
        active: bool,
        now: OffsetDateTime,
    ) -> Result<()> {
        let action = if active { "reactivate" } else { "deactivate" };
        let mut image = self.writable(caller, id, action)?;
        let (from, to) = if active {
            (Status::Deactivated, Status::Active)
        } else {
            (Status::Active, Status::Deactivated)
        };
        if image.status == to {
            return Ok(());
        }
        if image.status != from {
            return Err(ImageError::NotSwitchable { action, status: image.status });
        }
        image.status = to;
        image.updated_at = truncate(now);
        Ok(())
    }

    pub fn add_tag(
        &mut self,
        caller: &Caller,
        id: &str,
        tag: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        if tag.chars().count() > 255 {
            return Err(ImageError::TagTooLong);
        }
        let mut image = self.writable(caller, id, "modify_image")?;
        if !image.tags.iter().any(|t| t == tag) {
            if image.tags.len() >= TAG_QUOTA {
                return Err(ImageError::QuotaExceeded(Quota::Tags));
            }
            image.tags.push(tag.to_owned());
        }
        image.updated_at = truncate(now);
        Ok(())
    }

    pub fn delete_tag(
        &mut self,
        caller: &Caller,
        id: &str,
        tag: &str,
        now: OffsetDateTime,
    ) -> Result<()> {
        let mut image = self.writable(caller, id, "modify_image")?;
        let Some(at) = image.tags.iter().position(|t| t == tag) else {
            return Err(ImageError::NoSuchTag(tag.to_owned()));
        };
        image.tags.remove(at);
        image.updated_at = truncate(now);
        Ok(())
    }
}

fn check_counts(properties: usize, tags: usize) -> Result<()> {
    if properties > PROPERTY_QUOTA {
        return Err(ImageError::QuotaExceeded(Quota::Properties));
    }
    if tags > TAG_QUOTA {
        return Err(ImageError::QuotaExceeded(Quota::Tags));
    }
    Ok(())
}

fn check_min(attr: &'static str, value: i64) -> Result<()> {
    if !(0..=i64::from(i32::MAX)).contains(&value) {
        return Err(ImageError::OutOfRange { attr, value: value.to_string() });
    }
    Ok(())
}

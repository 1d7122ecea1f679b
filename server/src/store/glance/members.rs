//! Sharing images: the projects a `shared` image is shared with, and the status each member
//! gives the sharing (pending, accepted, rejected).

use time::OffsetDateTime;

use super::{
    Caller, GlanceState, ImageError, MEMBER_QUOTA, Member, MemberStatus, Quota, Result, Visibility,
    not_found, truncate,
};

impl GlanceState {
    pub fn add_member(
        &mut self,
        caller: &Caller,
        id: &str,
        member: &str,
        now: OffsetDateTime,
    ) -> Result<Member> {
        if member.trim().is_empty() {
            return Err(ImageError::EmptyMember);
        }
        let mut image = self.writable(caller, id, "add_member")?;
        if image.visibility != Visibility::Shared {
            return Err(ImageError::NotShared { id: id.to_owned(), visibility: image.visibility });
        }
        if image.members.iter().any(|m| m.member_id == member) {
            return Err(ImageError::AlreadyMember { id: id.to_owned(), member: member.to_owned() });
        }
        if image.members.len() >= MEMBER_QUOTA {
            return Err(ImageError::QuotaExceeded(Quota::Members));
        }
        let now = truncate(now);
        let m = Member {
            member_id: member.to_owned(),
            status: MemberStatus::Pending,
            created_at: now,
            updated_at: now,
        };
        image.members.push(m.clone());
        Ok(m)
    }

    /// The owner and administrators see every member; a member sees itself.
    pub fn members(&self, caller: &Caller, id: &str) -> Result<Vec<Member>> {
        let image = self.visible(caller, id)?;
        if caller.admin || caller.owns(image) {
            return Ok(image.members.clone());
        }
        match caller.membership(image) {
            Some(m) => Ok(vec![m.clone()]),
            None => Err(ImageError::Denied("get_members")),
        }
    }

    pub fn member(&self, caller: &Caller, id: &str, member: &str) -> Result<Member> {
        let image = self.visible(caller, id)?;
        let may_read =
            caller.admin || caller.owns(image) || caller.project.as_deref() == Some(member);
        image
            .members
            .iter()
            .find(|m| m.member_id == member && may_read)
            .cloned()
            .ok_or_else(|| ImageError::NoSuchMember(member.to_owned()))
    }

    pub fn set_member_status(
        &mut self,
        caller: &Caller,
        id: &str,
        member: &str,
        status: MemberStatus,
        now: OffsetDateTime,
    ) -> Result<Member> {
        let image = self.visible(caller, id)?;
        let is_member = caller.project.as_deref() == Some(member);
        if !image.members.iter().any(|m| m.member_id == member) {
            return Err(ImageError::NoSuchMember(member.to_owned()));
        }
        if !(caller.admin || (caller.member && is_member)) {
            return Err(ImageError::Denied("modify_member"));
        }
        let mut image = self.image_mut(id).ok_or_else(|| not_found(id))?;
        let m = image
            .members
            .iter_mut()
            .find(|m| m.member_id == member)
            .ok_or_else(|| ImageError::NoSuchMember(member.to_owned()))?;
        m.status = status;
        m.updated_at = truncate(now);
        Ok(m.clone())
    }

    pub fn remove_member(&mut self, caller: &Caller, id: &str, member: &str) -> Result<()> {
        let mut image = self.writable(caller, id, "delete_member")?;
        let Some(at) = image.members.iter().position(|m| m.member_id == member) else {
            return Err(ImageError::NoSuchMember(member.to_owned()));
        };
        image.members.remove(at);
        Ok(())
    }
}

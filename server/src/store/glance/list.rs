//! `GET /v2/images` as Glance computes it for a parsed query ([`ListQuery`]): who sees what, the
//! filters, keyset ordering after the marker, and one page, read from an index where the
//! query's order and filters allow it.

use std::cmp::Ordering;

use super::index::{Column, Value};
use super::query::{Bound, Filter, ListQuery, Number, SortKey, Text, TimeOp, VisibilityFilter};
use super::{Caller, GlanceState, Image, ImageError, MemberStatus, Result, Status, Visibility};

impl Filter {
    fn matches(&self, image: &Image) -> bool {
        match self {
            Filter::Text(attr, values) => {
                let actual: Option<&str> = match attr {
                    Text::Name => image.name.as_deref(),
                    Text::Id => Some(&image.id),
                    Text::Status => Some(image.status.as_str()),
                    Text::ContainerFormat => image.container_format.as_deref(),
                    Text::DiskFormat => image.disk_format.as_deref(),
                    Text::Owner => image.owner.as_deref(),
                    Text::Checksum => image.checksum.as_deref(),
                    Text::OsHashValue => image.os_hash_value.as_deref(),
                };
                actual.is_some_and(|a| values.iter().any(|v| v == a))
            }
            Filter::Number(attr, bound, n) => {
                let actual: Option<i64> = match attr {
                    Number::Size => image.size.and_then(|s| i64::try_from(s).ok()),
                    Number::VirtualSize => image.virtual_size.and_then(|s| i64::try_from(s).ok()),
                    Number::MinRam => Some(image.min_ram),
                    Number::MinDisk => Some(image.min_disk),
                };
                actual.is_some_and(|a| match bound {
                    Bound::Eq => a == *n,
                    Bound::Min => a >= *n,
                    Bound::Max => a <= *n,
                })
            }
            Filter::Protected(p) => image.protected == *p,
            Filter::Time { updated, op, at } => {
                let t = if *updated { image.updated_at } else { image.created_at };
                match op {
                    TimeOp::Gt => t > *at,
                    TimeOp::Gte => t >= *at,
                    TimeOp::Eq => t == *at,
                    TimeOp::Neq => t != *at,
                    TimeOp::Lt => t < *at,
                    TimeOp::Lte => t <= *at,
                }
            }
            Filter::Property(key, value) => image.properties.get(key) == Some(value),
        }
    }
}

/// One page, and whether it is full (so a `next` link follows it). It borrows the table, so a
/// listing copies nothing before the reply is built.
#[derive(Debug, Clone)]
pub struct Page<'s> {
    pub images: Vec<&'s Image>,
    pub full: bool,
}

impl<'s> Page<'s> {
    fn of(images: Vec<&'s Image>, limit: usize) -> Self {
        let full = limit > 0 && images.len() == limit;
        Self { images, full }
    }
}

/// How a listing finds its candidates, in its order.
#[derive(Debug, Clone, PartialEq)]
enum Plan<'q> {
    /// The default order's index.
    Created { ascending: bool },
    /// A column's index: the query sorts by that column, then `created_at` and `id`, all in one
    /// direction.
    Sorted { column: Column, ascending: bool },
    /// One value's run of a column's index: the query asks for that value (and sorts in the
    /// default order, or by that column, in which the run is in the same order).
    Equal { column: Column, value: Value, ascending: bool },
    /// At most one image: the query asks for one id.
    One(&'q str),
    /// Every image, filtered and sorted.
    Scan,
}

impl GlanceState {
    pub fn list(&self, caller: &Caller, q: &ListQuery) -> Result<Page<'_>> {
        if !caller.reader {
            return Err(ImageError::Denied("get_images"));
        }
        let marker = match &q.marker {
            None => None,
            Some(m) => match self.images.get(m).filter(|i| i.status != Status::Deleted) {
                None => return Err(ImageError::NoMarker(m.clone())),
                Some(i) if !caller.can_see(i) => {
                    return Err(ImageError::MarkerNotVisible(m.clone()));
                }
                Some(i) => Some(i),
            },
        };
        let wanted = |i: &Image| {
            !matches!(i.status, Status::Deleted | Status::Killed)
                && i.os_hidden == q.hidden
                && listed(caller, i, q.visibility, q.member_status)
                && q.tags.iter().all(|t| i.tags.contains(t))
                && q.filters.iter().all(|f| f.matches(i))
        };
        // The index walks start after the marker; a lookup and a scan check it.
        let after = |i: &Image| marker.is_none_or(|m| compare(&q.sort, i, m) == Ordering::Greater);
        let ids = match self.plan(q, marker) {
            Plan::Created { ascending } => self.index.by_created(ascending, marker),
            Plan::Sorted { column, ascending } => self.index.by_column(column, ascending, marker),
            Plan::Equal { column, value, ascending } => {
                self.index.equal(column, value, ascending, marker)
            }
            Plan::One(id) => {
                let hit = self.images.get(id).filter(|i| wanted(i) && after(i));
                return Ok(Page::of(hit.into_iter().take(q.limit).collect(), q.limit));
            }
            Plan::Scan => {
                let mut hits: Vec<&Image> =
                    self.images.values().filter(|i| wanted(i) && after(i)).collect();
                hits.sort_by(|a, b| compare(&q.sort, a, b));
                hits.truncate(q.limit);
                return Ok(Page::of(hits, q.limit));
            }
        };
        let hits = ids.filter_map(|id| self.images.get(id)).filter(|i| wanted(i)).take(q.limit);
        Ok(Page::of(hits.collect(), q.limit))
    }

    /// The cheapest way to the query's candidates in its order.
    fn plan<'q>(&self, q: &'q ListQuery, marker: Option<&Image>) -> Plan<'q> {
        if !self.index.live() {
            return Plan::Scan;
        }
        let (sorted_by, ascending) = match q.sort.as_slice() {
            [(SortKey::CreatedAt, a), (SortKey::Id, b)] if a == b => (None, *a),
            [(key, a), (SortKey::CreatedAt, b), (SortKey::Id, c)] if a == b && b == c => {
                match key.column() {
                    Some(column) => (Some(column), *a),
                    None => return Plan::Scan,
                }
            }
            // Sorted by id (unique), only a query naming one id is not a scan.
            [(SortKey::Id, _), (SortKey::CreatedAt, _)] => {
                return q.one_id().map_or(Plan::Scan, Plan::One);
            }
            _ => return Plan::Scan,
        };
        if let Some(id) = q.one_id() {
            return Plan::One(id);
        }
        if let Some((column, value)) = q.equality(sorted_by) {
            // Sorted by the column itself, the run only continues a marker in it.
            let continues = sorted_by.is_none() || marker.is_none_or(|m| column.value(m) == value);
            if continues {
                return Plan::Equal { column, value, ascending };
            }
        }
        match sorted_by {
            None => Plan::Created { ascending },
            Some(column) => Plan::Sorted { column, ascending },
        }
    }
}

impl SortKey {
    fn column(self) -> Option<Column> {
        Some(match self {
            SortKey::Name => Column::Name,
            SortKey::Status => Column::Status,
            SortKey::ContainerFormat => Column::ContainerFormat,
            SortKey::DiskFormat => Column::DiskFormat,
            SortKey::Size => Column::Size,
            SortKey::UpdatedAt => Column::UpdatedAt,
            SortKey::Id | SortKey::CreatedAt => return None,
        })
    }
}

impl ListQuery {
    /// The id an `id=` filter with a single value asks for.
    fn one_id(&self) -> Option<&str> {
        self.filters.iter().find_map(|f| match f {
            Filter::Text(Text::Id, values) if values.len() == 1 => Some(values[0].as_str()),
            _ => None,
        })
    }

    /// An indexed column the query asks to equal one value, whose run of the index is in the
    /// query's order: with the default order any such column, with a column's order only that
    /// column.
    fn equality(&self, sorted_by: Option<Column>) -> Option<(Column, Value)> {
        let fits = |c: Column| sorted_by.is_none_or(|s| s == c);
        let filters = self.filters.iter().filter_map(|f| match f {
            Filter::Text(attr, values) if values.len() == 1 => {
                let column = match attr {
                    Text::Name => Column::Name,
                    Text::Status => Column::Status,
                    Text::ContainerFormat => Column::ContainerFormat,
                    Text::DiskFormat => Column::DiskFormat,
                    Text::Owner => Column::Owner,
                    Text::Id | Text::Checksum | Text::OsHashValue => return None,
                };
                Some((column, Value::text(&values[0])))
            }
            _ => None,
        });
        let visibility = match self.visibility {
            Some(VisibilityFilter::One(v)) => Some((Column::Visibility, Value::text(v.as_str()))),
            _ => None,
        };
        filters.chain(visibility).find(|(c, _)| fits(*c))
    }
}

/// Who sees what in a list (reference §2.5).
fn listed(
    caller: &Caller,
    image: &Image,
    filter: Option<VisibilityFilter>,
    member_status: Option<MemberStatus>,
) -> bool {
    let own = caller.owns(image);
    if caller.admin {
        return match filter {
            None => image.visibility != Visibility::Community || own,
            Some(VisibilityFilter::All) => true,
            Some(VisibilityFilter::One(v)) => image.visibility == v,
        };
    }
    let member = image.visibility == Visibility::Shared
        && caller
            .membership(image)
            .is_some_and(|m| member_status.is_none_or(|wanted| m.status == wanted));
    match filter {
        None => image.visibility == Visibility::Public || own || member,
        Some(VisibilityFilter::All) => {
            matches!(image.visibility, Visibility::Public | Visibility::Community) || own || member
        }
        Some(VisibilityFilter::One(Visibility::Public)) => image.visibility == Visibility::Public,
        Some(VisibilityFilter::One(Visibility::Community)) => {
            image.visibility == Visibility::Community
        }
        Some(VisibilityFilter::One(Visibility::Private)) => {
            image.visibility == Visibility::Private && own
        }
        Some(VisibilityFilter::One(Visibility::Shared)) => {
            image.visibility == Visibility::Shared && (own || member)
        }
    }
}

/// Order of `a` and `b` in the requested sort (an `asc` key ascending, a `desc` one descending);
/// missing values sort as the smallest.
fn compare(sort: &[(SortKey, bool)], a: &Image, b: &Image) -> Ordering {
    for (key, asc) in sort {
        let o = match key {
            SortKey::Name => a.name.cmp(&b.name),
            SortKey::Status => a.status.as_str().cmp(b.status.as_str()),
            SortKey::ContainerFormat => a.container_format.cmp(&b.container_format),
            SortKey::DiskFormat => a.disk_format.cmp(&b.disk_format),
            SortKey::Size => a.size.cmp(&b.size),
            SortKey::Id => a.id.cmp(&b.id),
            SortKey::CreatedAt => a.created_at.cmp(&b.created_at),
            SortKey::UpdatedAt => a.updated_at.cmp(&b.updated_at),
        };
        let o = if *asc { o } else { o.reverse() };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

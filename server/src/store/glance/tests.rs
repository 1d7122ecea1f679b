//! Unit tests of the Glance store rules.

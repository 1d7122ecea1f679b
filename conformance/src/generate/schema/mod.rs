//! A request schema as a generator. [`Node::build`] reads a JSON Schema (2020-12, as our specs
//! write it; local `$ref`s followed through the spec) into a [`Node`], which gives
//!
//! - a proptest strategy for values that satisfy it ([`Node::positive`]), leaning on the bounds;
//! - a deterministic minimal value ([`Node::minimal`]) and boundary values ([`Node::boundaries`]);
//! - negative [`Site`]s ([`Node::sites`]): each breaks one constraint at one place in the value
//!   (wrong type, out of range, enum outsider, pattern, length, item count, missing required
//!   property, unknown property), with a deterministic boundary value and a random strategy.
//!
//! How the value travels matters ([`Wire`]): path, query and header values are text, so a
//! "wrong type" there is a string that does not parse as the declared type, `null` is never
//! sent, a path segment is never empty, and a header value is printable ASCII without outer
//! spaces. Wrong-type values are chosen so that no common coercion (a numeric string for a
//! number, `1` for `true`, `null` for "absent") turns them back into valid input. Keywords we do
//! not model (`oneOf`, `anyOf`, `allOf`, `not`, ...) make a node opaque: its examples are used
//! as positives and it has no negatives.
//!
//! The children, leaves first: `wire` (how a value travels), `runner` (deterministic
//! proptest runners), `site` (what a negative case changes), `pattern` (regexes rewritten
//! for generation), `string` (string schemas, both ways), `node` (reading a schema into a
//! [`Node`]), then `positive` and `negative`, the two halves of what a node generates.

mod negative;
mod node;
mod pattern;
mod positive;
mod runner;
mod site;
mod string;
mod wire;

pub(crate) use node::{Node, identity};
pub(crate) use runner::fixed_runner;
pub(crate) use site::{Change, Site, Step};
pub(crate) use wire::{Wire, encodable, text_of};

//! What a negative case is: a place in a value and one constraint broken there, and the
//! wrong-type values that no common coercion turns back into valid input.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::{BoxedStrategy, Just};
use serde_json::{Value, json};

/// One step into a value: an object key, or the first item of an array (`None`); `fill` is
/// the child's minimal value, put there when the base value lacks it.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub key: Option<String>,
    pub fill: Value,
}

/// A place in a value and one constraint broken there.
#[derive(Debug, Clone)]
pub(crate) struct Site {
    pub path: Vec<Step>,
    /// What is broken, e.g. `maximum 400` or `required property \`name\``.
    pub constraint: String,
    pub lenient: bool,
    /// `jsonschema` cannot see this violation (an integer format's range), so the guard does
    /// not ask it to.
    pub unchecked: bool,
    pub change: Change,
}

#[derive(Debug, Clone)]
pub(crate) enum Change {
    /// Put a value at the path: `boundary` in the boundary phase, drawn from `random` after.
    Set { boundary: Value, random: BoxedStrategy<Value> },
    /// Remove the key the path ends with.
    Remove,
}

#[derive(Clone, Copy)]
pub(super) enum WrongFor {
    Bool,
    Number,
    Array,
    Object,
    /// In a path, query or header: a word that is not `true`/`false` or a usual alias.
    TextBool,
    /// In a path, query or header: a word that does not parse as a number.
    TextNumber,
}

/// A string's wrong types: an object or array (refused by every JSON binding), and, only as a
/// warning, a number or boolean, which some bindings turn into a string (Jackson by default,
/// poem-openapi) although the contract says refuse.
pub(super) fn string_type_sites(
    site: &dyn Fn(String, bool, bool, Change) -> Site,
    out: &mut Vec<Site>,
) {
    let strict = select(vec![json!({}), json!([]), json!({"imagespec": 1})]).boxed();
    out.push(site(
        "type string".into(),
        false,
        false,
        Change::Set { boundary: json!({}), random: strict },
    ));
    let coercible =
        prop_oneof![(-1000i64..1000).prop_map(Value::from), any::<bool>().prop_map(Value::from)]
            .boxed();
    out.push(site(
        "type string (a number or boolean, which some bindings coerce)".into(),
        true,
        false,
        Change::Set { boundary: json!(1), random: coercible },
    ));
}

/// Values of another JSON type that no common coercion accepts: never `null` (often "absent"),
/// never a numeric string for a number, never `0`/`1` for a boolean.
pub(super) fn wrong_type(target: WrongFor) -> Change {
    // Letters g-z only: no hex digits, no `e` (exponent), no `inf`/`nan`/`true`/`false`/`yes`.
    let word = || {
        "[g-z]{2,8}"
            .prop_filter("an alias", |w| !matches!(w.as_str(), "no" | "on" | "ok"))
            .prop_map(Value::from)
    };
    let (boundary, random): (Value, BoxedStrategy<Value>) = match target {
        WrongFor::Bool => {
            (json!("imagespec"), prop_oneof![word(), Just(json!({})), Just(json!([]))].boxed())
        }
        WrongFor::Number => {
            (json!("imagespec"), prop_oneof![word(), Just(json!({})), Just(json!([]))].boxed())
        }
        WrongFor::Array => (
            json!("imagespec"),
            prop_oneof![word(), Just(json!({})), (0i64..100).prop_map(Value::from)].boxed(),
        ),
        WrongFor::Object => (
            json!("imagespec"),
            prop_oneof![word(), Just(json!([])), (0i64..100).prop_map(Value::from)].boxed(),
        ),
        WrongFor::TextBool | WrongFor::TextNumber => (json!("imagespec"), word().boxed()),
    };
    Change::Set { boundary, random }
}

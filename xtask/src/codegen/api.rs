//! IR → `generated/api.rs`: response enums, request enums, the family trait, the routes wrapper
//! and the operation table.

use std::collections::BTreeMap;

use anyhow::{Context, Result, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::ir::{Api, Body, Operation, Param, ParamIn, Response, Ty, Validators};
use super::models::{default_literal, docs, rust_type, validator_list};

pub fn generate(api: &Api) -> Result<TokenStream> {
    let family = api.family.to_upper_camel_case();
    let trait_name = format_ident!("{}Api", family);
    let routes_name = format_ident!("{}Routes", family);
    let mut items = Vec::new();
    let mut trait_methods = Vec::new();
    let mut route_methods = Vec::new();
    let mut table = Vec::new();
    let mut patterns = Patterns::default();
    for op in &api.operations {
        for suffix in ["Reply", "Payload", "Params"] {
            let generated = format!("{}{suffix}", op.id.to_upper_camel_case());
            if api.types.iter().any(|t| t.name == generated) {
                bail!(
                    "components.schemas.{generated} clashes with a generated type; rename the schema (specs/README.md#r6)"
                );
            }
        }
        let resp = format_ident!("{}Reply", op.id.to_upper_camel_case());
        items.push(response_enum(op, &resp)?);
        let body = match &op.body {
            Some(b) => Some(body(op, b, &mut items)?),
            None => None,
        };
        let params = op
            .params
            .iter()
            .map(|p| param(op, p, &mut items, &mut patterns))
            .collect::<Result<Vec<_>>>()?;
        let method = format_ident!("{}", op.id);
        // The trait takes one struct of every path, query and header parameter (when the
        // operation has any) and the body: adding a parameter to the spec adds a field, and a
        // handler names only the fields it reads.
        let params_name = format_ident!("{}Params", op.id.to_upper_camel_case());
        let (params_arg, params_call) = if params.is_empty() {
            (None, None)
        } else {
            let fields = params.iter().map(|p| &p.field);
            let inits = params.iter().map(|p| &p.init);
            let doc = format!(" The path, query and header parameters of `{}`.", op.id);
            items.push(quote! {
                #[doc = #doc]
                #[derive(Debug)]
                pub struct #params_name { #(#fields,)* }
            });
            (Some(quote!(params: #params_name)), Some(quote!(#params_name { #(#inits,)* })))
        };
        let trait_args = params_arg.iter().chain(body.as_ref().map(|b| &b.trait_arg));
        let route_args = params.iter().map(|p| &p.route_arg);
        let route_body = body.as_ref().map(|b| &b.route_arg);
        let call_args = params_call.iter().chain(body.as_ref().map(|b| &b.call_arg));
        let doc = docs(op.summary.as_deref());
        trait_methods.push(quote! {
            #doc
            fn #method(&self, req: &Request, #(#trait_args),*) -> impl Future<Output = #resp> + Send;
        });
        let path = poem_path(&op.path);
        let verb = &op.method;
        let id = &op.id;
        let route_doc = docs(Some(&route_doc(op)));
        // poem-openapi extracts each parameter as an argument of the route; only the routes
        // have long argument lists, the trait takes the struct.
        let allow = (params.len() + usize::from(body.is_some()) > 5)
            .then(|| quote!(#[allow(clippy::too_many_arguments)]));
        route_methods.push(quote! {
            #route_doc
            #allow
            #[oai(path = #path, method = #verb, operation_id = #id)]
            async fn #method(&self, req: &Request, #(#route_args,)* #route_body) -> #resp {
                self.0.#method(req, #(#call_args),*).await
            }
        });
        let http_method = op.method.to_uppercase();
        let spec_path = &op.path;
        let query = op.params.iter().filter(|p| p.location == ParamIn::Query).map(|p| &p.wire);
        let repeatable = op
            .params
            .iter()
            .filter(|p| p.location == ParamIn::Query && matches!(p.ty, Ty::Array(_)))
            .map(|p| &p.wire);
        let segments = spec_path.split('/');
        table.push(quote! {
            OperationInfo {
                id: #id,
                method: #http_method,
                path: #spec_path,
                segments: &[#(#segments),*],
                query: &[#(#query),*],
                repeatable: &[#(#repeatable),*],
            },
        });
    }
    items.extend(patterns.markers);
    let reject = api.reject_unknown_query;
    let trait_doc = format!(
        " The `{}` operations, one method per operationId of `specs/{}.yaml`.",
        api.family, api.family
    );
    Ok(quote! {
        #[allow(unused_imports)]
        use std::future::Future;

        #[allow(unused_imports)]
        use poem::Request;
        #[allow(unused_imports)]
        use poem_openapi::{ApiRequest, ApiResponse, OpenApi, param::{Header, Path, Query}, payload::{Binary, Json}};

        #[allow(unused_imports)]
        use super::models::*;
        #[allow(unused_imports)]
        use crate::contract::{Contract, FromError, Json as ReplyJson, Matching, MatchesPattern, OperationInfo, PatternSpec};

        #(#items)*

        #[doc = #trait_doc]
        pub trait #trait_name: Send + Sync + 'static {
            #(#trait_methods)*
        }

        /// The poem-openapi routes of the family; each parses and validates its request, then
        /// delegates to the trait.
        pub struct #routes_name<T>(pub T);

        #[OpenApi]
        impl<T: #trait_name> #routes_name<T> {
            #(#route_methods)*
        }

        /// Every operation of the spec, for middleware that needs the contract without poem-openapi.
        pub const CONTRACT: Contract = Contract {
            reject_unknown_query: #reject,
            operations: &[#(#table)*],
        };
    })
}

fn response_enum(op: &Operation, name: &proc_macro2::Ident) -> Result<TokenStream> {
    let variants = op.responses.iter().map(variant).collect::<Result<Vec<_>>>()?;
    let doc = format!(" The responses `{}` declares.", op.id);
    let conversions = from_error_impls(op, name);
    Ok(quote! {
        #[doc = #doc]
        #[derive(ApiResponse)]
        #[allow(clippy::large_enum_variant)]
        pub enum #name { #(#variants)* }
        #(#conversions)*
    })
}

/// `FromError<E>` for each error envelope `E` the enum carries, so handlers can answer any
/// declared error status without naming the variant.
fn from_error_impls(op: &Operation, name: &proc_macro2::Ident) -> Vec<TokenStream> {
    let mut envelopes: Vec<&Ty> = Vec::new();
    for r in op.responses.iter().filter(|r| r.status >= 400 && r.headers.is_empty()) {
        if let Some((_, ty @ Ty::Named(_))) = &r.media
            && !envelopes.contains(&ty)
        {
            envelopes.push(ty);
        }
    }
    envelopes
        .into_iter()
        .map(|envelope| {
            let ty = rust_type(envelope);
            let arms =
                op.responses.iter().filter(|r| r.status >= 400 && r.headers.is_empty()).filter_map(
                    |r| {
                        let (_, t) = r.media.as_ref()?;
                        (t == envelope).then(|| {
                            let status = Literal::u16_unsuffixed(r.status);
                            let ident = format_ident!("{}", status_name(r.status));
                            quote!(#status => Ok(Self::#ident(ReplyJson::of(body))),)
                        })
                    },
                );
            quote! {
                impl FromError<#ty> for #name {
                    fn from_error(status: u16, body: #ty) -> Result<Self, #ty> {
                        match status { #(#arms)* _ => Err(body) }
                    }
                }
            }
        })
        .collect()
}

fn variant(r: &Response) -> Result<TokenStream> {
    let ident = format_ident!("{}", status_name(r.status));
    let status = Literal::u16_unsuffixed(r.status);
    let doc = docs(Some(&r.description));
    let mut fields = Vec::new();
    if let Some((mt, ty)) = &r.media {
        fields.push(payload(mt, ty, true)?);
    }
    for (name, required) in &r.headers {
        let ty = if *required { quote!(String) } else { quote!(Option<String>) };
        fields.push(quote!(#[oai(header = #name)] #ty));
    }
    let fields = if fields.is_empty() { quote!() } else { quote!((#(#fields),*)) };
    Ok(quote! {
        #doc
        #[oai(status = #status)]
        #ident #fields,
    })
}

/// A request payload (poem-openapi's `Json`, which parses and validates) or, with `reply`, a
/// response payload (`contract::Json`, which serializes with serde).
fn payload(media_type: &str, ty: &Ty, reply: bool) -> Result<TokenStream> {
    let inner = rust_type(ty);
    Ok(match (media_type, ty) {
        ("application/octet-stream", Ty::Binary) => quote!(Binary<poem::Body>),
        ("application/json", _) if reply => quote!(ReplyJson<#inner>),
        ("application/json", _) => quote!(Json<#inner>),
        (mt, ty) => bail!("unsupported media type {mt} for {ty:?} (specs/README.md#r9)"),
    })
}

/// A request body: the trait's argument, the route's argument and how the route hands it on.
struct Arg {
    trait_arg: TokenStream,
    route_arg: TokenStream,
    call_arg: TokenStream,
}

/// A parameter: its field in the operation's parameter struct, the route's argument and the
/// field's initialiser from it.
struct ParamArg {
    field: TokenStream,
    route_arg: TokenStream,
    init: TokenStream,
}

/// The marker types of a family's parameter patterns, one per distinct pattern.
#[derive(Default)]
struct Patterns {
    by_pattern: BTreeMap<String, proc_macro2::Ident>,
    markers: Vec<TokenStream>,
}

impl Patterns {
    /// The marker type for `pattern`, named after the first parameter that uses it.
    fn marker(&mut self, param: &str, pattern: &str) -> Result<proc_macro2::Ident> {
        if let Some(ident) = self.by_pattern.get(pattern) {
            return Ok(ident.clone());
        }
        regex::Regex::new(pattern)
            .with_context(|| format!("parameter `{param}` has an invalid pattern {pattern:?}"))?;
        let base = format!("{}Pattern", param.to_upper_camel_case());
        let mut name = base.clone();
        let mut n = 2;
        while self.by_pattern.values().any(|i| *i == name) {
            name = format!("{base}{n}");
            n += 1;
        }
        let ident = format_ident!("{}", name);
        let doc = format!(" The pattern of `{param}` (and of any parameter with the same one).");
        self.markers.push(quote! {
            #[doc = #doc]
            pub struct #ident;
            impl PatternSpec for #ident {
                const PATTERN: &'static str = #pattern;
                fn regex() -> &'static regex::Regex {
                    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
                    RE.get_or_init(|| regex::Regex::new(Self::PATTERN).expect("codegen compiled it"))
                }
            }
        });
        self.by_pattern.insert(pattern.to_owned(), ident.clone());
        Ok(ident)
    }
}

fn param(
    op: &Operation,
    p: &Param,
    items: &mut Vec<TokenStream>,
    patterns: &mut Patterns,
) -> Result<ParamArg> {
    let ident = format_ident!("{}", p.rust);
    let wire = &p.wire;
    let inner = rust_type(&p.ty);
    let is_array = matches!(p.ty, Ty::Array(_));
    // A string pattern is matched by `Matching<Marker>` while the value is parsed (see
    // `contract::Matching`); the route hands the trait a plain `String`.
    let matching = match (&p.validators.pattern, &p.ty) {
        (Some(pattern), Ty::String) => Some(patterns.marker(&p.rust, pattern)?),
        (Some(pattern), Ty::Array(item)) if **item == Ty::String => {
            Some(patterns.marker(&p.rust, pattern)?)
        }
        _ => None,
    };
    let validators = match matching {
        Some(_) => Validators { pattern: None, ..p.validators.clone() },
        None => p.validators.clone(),
    };
    let route_inner = match (&matching, is_array) {
        (Some(m), false) => quote!(Matching<#m>),
        (Some(m), true) => quote!(Vec<Matching<#m>>),
        (None, _) => inner.clone(),
    };
    let mut attrs = vec![quote!(name = #wire)];
    let mut checks = validator_list(&validators);
    if let Some(m) = &matching {
        let check = format!("MatchesPattern::<{m}>::new()");
        checks.push(quote!(custom = #check));
    }
    if !checks.is_empty() {
        attrs.push(quote!(validator(#(#checks),*)));
    }
    let optional = !(p.required || is_array);
    if let (Some(default), true) = (&p.default, optional) {
        let fn_name = format!("default_{}_{}", op.id, p.rust.trim_end_matches('_'));
        let fn_ident = format_ident!("{}", fn_name);
        let lit = default_literal(&p.ty, default)?;
        let lit = match matching {
            Some(_) => quote!(Matching::new(#lit)),
            None => lit,
        };
        items.push(quote!(fn #fn_ident() -> #route_inner { #lit }));
        attrs.push(quote!(default = #fn_name));
    }
    let optional = optional && p.default.is_none();
    let (value_ty, route_ty) = match optional {
        true => (quote!(Option<#inner>), quote!(Option<#route_inner>)),
        false => (inner, route_inner),
    };
    let wrapper = match p.location {
        ParamIn::Path => quote!(Path),
        ParamIn::Query => quote!(Query),
        ParamIn::Header => quote!(Header),
    };
    let value = match (&matching, optional, is_array) {
        (None, _, _) => quote!(#ident.0),
        (Some(_), _, true) => quote!(#ident.0.into_iter().map(|m| m.0).collect()),
        (Some(_), true, false) => quote!(#ident.0.map(|m| m.0)),
        (Some(_), false, false) => quote!(#ident.0.0),
    };
    let location = match p.location {
        ParamIn::Path => "path",
        ParamIn::Query => "query",
        ParamIn::Header => "header",
    };
    let doc = match &p.description {
        Some(d) => format!("`{wire}` ({location}): {d}"),
        None => format!("`{wire}` ({location})."),
    };
    let doc = docs(Some(&doc));
    Ok(ParamArg {
        field: quote!(#doc pub #ident: #value_ty),
        route_arg: quote!(#[oai(#(#attrs),*)] #ident: #wrapper<#route_ty>),
        init: quote!(#ident: #value),
    })
}

fn body(op: &Operation, b: &Body, items: &mut Vec<TokenStream>) -> Result<Arg> {
    let [(mt, ty)] = b.media.as_slice() else {
        return request_enum(op, b, items);
    };
    let (payload_ty, value_ty, unwrap) = match (mt.as_str(), ty) {
        ("application/json", ty) => {
            let inner = rust_type(ty);
            (quote!(Json<#inner>), inner, quote!(.0))
        }
        ("application/octet-stream", Ty::Binary) => {
            (quote!(Binary<poem::Body>), quote!(poem::Body), quote!(.0))
        }
        _ => return request_enum(op, b, items),
    };
    Ok(if b.required {
        Arg {
            trait_arg: quote!(body: #value_ty),
            route_arg: quote!(body: #payload_ty),
            call_arg: quote!(body #unwrap),
        }
    } else {
        Arg {
            trait_arg: quote!(body: Option<#value_ty>),
            route_arg: quote!(body: Option<#payload_ty>),
            call_arg: quote!(body.map(|b| b #unwrap)),
        }
    })
}

/// A body with several media types (or a vendor JSON type) becomes an `ApiRequest` enum.
fn request_enum(op: &Operation, b: &Body, items: &mut Vec<TokenStream>) -> Result<Arg> {
    let name = format_ident!("{}Payload", op.id.to_upper_camel_case());
    let mut variants = Vec::new();
    for (mt, ty) in &b.media {
        let ident = format_ident!("{}", media_variant(mt));
        let inner = rust_type(ty);
        let payload = match ty {
            Ty::Binary => quote!(Binary<poem::Body>),
            _ if mt.contains("json") => quote!(Json<#inner>),
            _ => bail!("unsupported request media type {mt} (specs/README.md#r9)"),
        };
        variants.push(quote!(#[oai(content_type = #mt)] #ident(#payload),));
    }
    let doc = format!(" The request bodies `{}` accepts, by media type.", op.id);
    items.push(quote! {
        #[doc = #doc]
        #[derive(ApiRequest)]
        pub enum #name { #(#variants)* }
    });
    let ty = if b.required { quote!(#name) } else { quote!(Option<#name>) };
    Ok(Arg { trait_arg: quote!(body: #ty), route_arg: quote!(body: #ty), call_arg: quote!(body) })
}

fn media_variant(media_type: &str) -> String {
    let tail = media_type.split('/').nth(1).unwrap_or(media_type);
    tail.replace(['.', '+', '-'], "_").to_upper_camel_case()
}

fn route_doc(op: &Operation) -> String {
    match (&op.summary, &op.description) {
        (Some(s), Some(d)) => format!("{s}\n\n{d}"),
        (Some(s), None) => s.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => op.id.to_snake_case(),
    }
}

/// `/a/{b}` → `/a/:b`, the syntax poem-openapi routes use. A custom method segment
/// `{b}:verb` (Google-style, as Snowflake's `{name}:set-tags`) becomes `:b/__verb`, because
/// poem's router cannot match a literal after a parameter inside one segment; the family's
/// stack rewrites such request paths the same way just before routing
/// (`contract::route_path`).
fn poem_path(path: &str) -> String {
    path.split('/')
        .map(|s| match s.strip_prefix('{').and_then(|s| s.split_once('}')) {
            Some((var, "")) => format!(":{var}"),
            Some((var, verb)) => format!(":{var}/__{}", verb.trim_start_matches(':')),
            None => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn status_name(status: u16) -> String {
    match status {
        200 => "Ok",
        201 => "Created",
        202 => "Accepted",
        204 => "NoContent",
        206 => "PartialContent",
        300 => "MultipleChoices",
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        409 => "Conflict",
        410 => "Gone",
        413 => "PayloadTooLarge",
        415 => "UnsupportedMediaType",
        416 => "RangeNotSatisfiable",
        422 => "UnprocessableEntity",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        503 => "ServiceUnavailable",
        other => return format!("Status{other}"),
    }
    .to_owned()
}

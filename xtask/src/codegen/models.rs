//! IR → `generated/models.rs`: one poem-openapi `Object` or `Enum` per named type.

use anyhow::{Result, bail};
use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};
use serde_json::Value;

use super::ir::{Api, Field, NamedType, Ty, TypeKind, Validators};

pub fn generate(api: &Api) -> Result<TokenStream> {
    let mut items = Vec::new();
    for t in &api.types {
        items.push(named_type(t)?);
    }
    Ok(quote! {
        use poem_openapi::{Enum, Object};
        #(#items)*
    })
}

/// The Rust type of a value type (used by models and by the api module).
pub fn rust_type(ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote!(String),
        Ty::Int32 => quote!(i32),
        Ty::Int64 => quote!(i64),
        Ty::Number => quote!(f64),
        Ty::Bool => quote!(bool),
        Ty::Any => quote!(serde_json::Value),
        Ty::Binary => quote!(poem::Body),
        Ty::Named(n) => {
            let i = format_ident!("{}", n);
            quote!(#i)
        }
        Ty::Array(inner) => {
            let inner = rust_type(inner);
            quote!(Vec<#inner>)
        }
        Ty::Map(inner) => {
            let inner = rust_type(inner);
            quote!(std::collections::BTreeMap<String, #inner>)
        }
    }
}

/// `validator(...)` arguments for a field or parameter, empty when there are none.
pub fn validator_args(v: &Validators) -> Option<TokenStream> {
    if v.is_empty() {
        return None;
    }
    let args = validator_list(v);
    Some(quote!(validator(#(#args),*)))
}

/// The `validator(...)` arguments one by one.
pub fn validator_list(v: &Validators) -> Vec<TokenStream> {
    let mut args = Vec::new();
    if let Some(p) = &v.pattern {
        args.push(quote!(pattern = #p));
    }
    if let Some(n) = v.min_length {
        let n = Literal::usize_unsuffixed(n as usize);
        args.push(quote!(min_length = #n));
    }
    if let Some(n) = v.max_length {
        let n = Literal::usize_unsuffixed(n as usize);
        args.push(quote!(max_length = #n));
    }
    if let Some(n) = v.minimum {
        let n = Literal::f64_unsuffixed(n);
        args.push(quote!(minimum(value = #n)));
    }
    if let Some(n) = v.maximum {
        let n = Literal::f64_unsuffixed(n);
        args.push(quote!(maximum(value = #n)));
    }
    if let Some(n) = v.min_items {
        let n = Literal::usize_unsuffixed(n as usize);
        args.push(quote!(min_items = #n));
    }
    if let Some(n) = v.max_items {
        let n = Literal::usize_unsuffixed(n as usize);
        args.push(quote!(max_items = #n));
    }
    args
}

/// `#[doc = ...]` lines for a description.
pub fn docs(text: Option<&str>) -> TokenStream {
    let lines = text.unwrap_or_default().lines().map(|l| format!(" {l}"));
    quote!(#(#[doc = #lines])*)
}

/// A Rust literal for a default value of type `ty`.
pub fn default_literal(ty: &Ty, value: &Value) -> Result<TokenStream> {
    Ok(match (ty, value) {
        (Ty::Int32 | Ty::Int64, Value::Number(n)) => {
            let n = Literal::i64_unsuffixed(n.as_i64().unwrap_or_default());
            quote!(#n)
        }
        (Ty::Number, Value::Number(n)) => {
            let n = Literal::f64_unsuffixed(n.as_f64().unwrap_or_default());
            quote!(#n)
        }
        (Ty::Bool, Value::Bool(b)) => quote!(#b),
        (Ty::String, Value::String(s)) => quote!(#s.to_owned()),
        (Ty::Named(n), Value::String(s)) => {
            let t = format_ident!("{}", n);
            let v = format_ident!("{}", variant_name(s));
            quote!(#t::#v)
        }
        (ty, v) => bail!("unsupported default {v} for {ty:?}"),
    })
}

/// The Rust variant name of an enum value.
pub fn variant_name(value: &str) -> String {
    let name = value.to_upper_camel_case();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{name}")
    } else {
        name
    }
}

fn named_type(t: &NamedType) -> Result<TokenStream> {
    let name = format_ident!("{}", t.name);
    let wire = &t.name;
    let doc = docs(t.description.as_deref());
    Ok(match &t.kind {
        TypeKind::Enum { values } => {
            let variants = values.iter().map(|v| {
                let ident = format_ident!("{}", variant_name(v));
                quote!(#[oai(rename = #v)] #[serde(rename = #v)] #ident,)
            });
            let arms = values.iter().map(|v| {
                let ident = format_ident!("{}", variant_name(v));
                quote!(#v => Some(Self::#ident),)
            });
            quote! {
                #doc
                #[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, serde::Serialize)]
                #[oai(rename = #wire)]
                pub enum #name { #(#variants)* }
                impl crate::contract::WireEnum for #name {
                    fn from_wire(value: &str) -> Option<Self> {
                        match value { #(#arms)* _ => None }
                    }
                }
            }
        }
        TypeKind::Object { fields, deny_unknown, extra } => {
            let mut defaults = Vec::new();
            let mut members = Vec::new();
            for f in fields {
                members.push(field(&t.name, f, &mut defaults)?);
            }
            if let Some(extra) = extra {
                let ty = rust_type(&Ty::Map(Box::new(extra.clone())));
                members.push(quote! {
                    /// Properties not named above (the schema's `additionalProperties`).
                    #[oai(flatten)]
                    #[serde(flatten)]
                    pub additional_properties: #ty,
                });
            }
            let deny = deny_unknown.then(|| quote!(, deny_unknown_fields));
            quote! {
                #doc
                #[derive(Debug, Clone, PartialEq, Object, serde::Serialize)]
                #[oai(rename = #wire #deny)]
                pub struct #name { #(#members)* }
                #(#defaults)*
            }
        }
    })
}

fn field(owner: &str, f: &Field, defaults: &mut Vec<TokenStream>) -> Result<TokenStream> {
    let ident = format_ident!("{}", f.rust);
    let wire = &f.wire;
    let inner = rust_type(&f.ty);
    let doc = docs(f.description.as_deref());
    let mut attrs = vec![quote!(rename = #wire)];
    // serde mirrors poem-openapi's `ToJSON` for `contract::Json` replies.
    let mut serde_attrs = vec![quote!(rename = #wire)];
    if let Some(v) = validator_args(&f.validators) {
        attrs.push(v);
    }
    let ty = match (&f.default, f.required, f.nullable) {
        (Some(default), false, false) => {
            let fn_name =
                format!("default_{}_{}", owner.to_snake_case(), f.rust.trim_end_matches('_'));
            let fn_ident = format_ident!("{}", fn_name);
            let lit = default_literal(&f.ty, default)?;
            defaults.push(quote!(fn #fn_ident() -> #inner { #lit }));
            attrs.push(quote!(default = #fn_name));
            inner
        }
        (_, true, false) => inner,
        (_, true, true) => quote!(Option<#inner>),
        (_, false, _) => {
            attrs.push(quote!(skip_serializing_if_is_none));
            serde_attrs.push(quote!(skip_serializing_if = "Option::is_none"));
            quote!(Option<#inner>)
        }
    };
    Ok(quote! {
        #doc
        #[oai(#(#attrs),*)]
        #[serde(#(#serde_attrs),*)]
        pub #ident: #ty,
    })
}

//! `blueprint permissions`: what the selected features need the app to be granted.

use blueprint_catalogue::kinds::Grant;
use blueprint_catalogue::permissions::{Access, Need};
use clap::Args;
use serde_json::json;

use super::common::{AppArgs, Format, engine_error, print_json};
use crate::{CommandError, Outcome};

/// List the least-privileged permissions the selected features need, and which features need
/// each.
///
/// Derived from the execution plan: each feature's resources declare the application
/// permission that reads and that writes them (Microsoft Graph app roles by Microsoft's names;
/// Exchange Online: Exchange.ManageAsApp plus a directory role). `blueprint connect` grants
/// exactly these; `blueprint doctor` checks a token holds them.
#[derive(Debug, Args)]
#[command(verbatim_doc_comment)]
pub struct PermissionsArgs {
    #[command(flatten)]
    pub app: AppArgs,
}

pub fn run(args: PermissionsArgs) -> Result<Outcome, CommandError> {
    let workspace = args.app.workspace.open()?;
    let access = args.app.access();
    let needs = workspace
        .required_permissions(access)
        .map_err(engine_error)?;
    match args.app.format {
        Format::Json => print_json(&json!({ "access": access, "permissions": needs })),
        Format::Text => print!("{}", render(&needs, access)),
    }
    Ok(Outcome::Success)
}

fn render(needs: &[Need], access: Access) -> String {
    let mut out = format!(
        "The selected features need {} ({}):\n",
        match needs.len() {
            1 => "1 grant".to_string(),
            n => format!("{n} grants"),
        },
        match access {
            Access::ReadOnly => "a read-only app: plan, evaluate, doctor",
            Access::ReadWrite => "an app that deploys",
        }
    );
    let sections = [
        ("Microsoft Graph application permissions", 0),
        ("Office 365 Exchange Online application permissions", 1),
        ("Microsoft Entra directory roles", 2),
        (
            "Exchange Online management roles (through a role group; no Entra role brings them)",
            3,
        ),
    ];
    let width = needs
        .iter()
        .map(|n| n.grant.name().len())
        .max()
        .unwrap_or(0);
    for (title, which) in sections {
        let group: Vec<&Need> = needs
            .iter()
            .filter(|n| {
                matches!(
                    (n.grant, which),
                    (Grant::Graph(_), 0)
                        | (Grant::Exchange(_), 1)
                        | (Grant::DirectoryRole(_), 2)
                        | (Grant::ExchangeRole(_), 3)
                )
            })
            .collect();
        if group.is_empty() {
            continue;
        }
        out.push_str(&format!("\n  {title}\n"));
        for need in group {
            let features: Vec<&str> = need.features.iter().map(String::as_str).collect();
            let shown = if features.len() > 3 {
                format!(
                    "{} and {} more",
                    features[..3].join(", "),
                    features.len() - 3
                )
            } else {
                features.join(", ")
            };
            out.push_str(&format!("    {:<width$}  {shown}\n", need.grant.name()));
        }
    }
    out.push_str(&format!(
        "\nGrant them with `blueprint connect{}`; check a connection with `blueprint doctor`.\n",
        if access == Access::ReadOnly {
            " --read-only"
        } else {
            ""
        }
    ));
    out
}

//! What every page's frame needs: title, breadcrumbs, the signed-in member and their CSRF token.

/// One step of the breadcrumbs; the last has no link.
#[derive(Debug, Clone)]
pub struct Crumb {
    pub label: String,
    pub href: Option<String>,
}

impl Crumb {
    pub fn link(label: impl Into<String>, href: impl Into<String>) -> Self {
        Crumb {
            label: label.into(),
            href: Some(href.into()),
        }
    }

    pub fn here(label: impl Into<String>) -> Self {
        Crumb {
            label: label.into(),
            href: None,
        }
    }
}

/// The frame of a page (see `templates/base.html`).
#[derive(Debug, Clone)]
pub struct Layout {
    pub site_name: String,
    pub stylesheet: &'static str,
    pub title: String,
    pub crumbs: Vec<Crumb>,
    pub viewer: Option<String>,
    /// Whether the viewer is an admin: the header links the admin pages.
    pub admin: bool,
    /// Unread notifications, shown beside the link to them.
    pub unread: u64,
    pub csrf: String,
}

impl Layout {
    /// A frame without a member, for error pages.
    pub fn bare(title: &str) -> Self {
        Layout {
            site_name: "Stoa".into(),
            stylesheet: super::STYLESHEET_HREF.as_str(),
            title: title.to_owned(),
            crumbs: Vec::new(),
            viewer: None,
            admin: false,
            unread: 0,
            csrf: String::new(),
        }
    }
}

/// Breadcrumbs start at Latest Discussions, then the group, the forum and the page itself.
pub fn forum_crumbs(group: Option<&str>, forum: Option<(&str, &str)>) -> Vec<Crumb> {
    let mut crumbs = vec![Crumb::link("Latest Discussions", "/latest")];
    if let Some(group) = group {
        crumbs.push(Crumb::link(group, "/"));
    }
    if let Some(elsewhere) = forum.and_then(|(_, slug)| elsewhere_crumb(slug)) {
        crumbs.push(elsewhere);
    }
    if let Some((name, slug)) = forum {
        crumbs.push(Crumb::link(name, format!("/f/{slug}")));
    }
    crumbs
}

/// For a forum of another server (`name@host`): the crumb that names its server, leading to the
/// index's forums elsewhere.
pub fn elsewhere_crumb(slug: &str) -> Option<Crumb> {
    let (_, host) = slug.split_once('@')?;
    Some(Crumb::link(
        format!("Forums elsewhere: {host}"),
        "/#group-elsewhere",
    ))
}

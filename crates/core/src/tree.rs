//! The reply tree: orders a thread's posts depth-first (each reply right under its parent, in
//! the order replies were written — by the time each says it was written, then as stored) and
//! gives each its depth for indentation.

use std::collections::HashMap;

use stoa_db::queries::posts::PostWithAuthor;

/// A post in tree order with its depth (0 for the starter post).
#[derive(Debug, Clone)]
pub struct TreePost {
    pub depth: usize,
    pub post: PostWithAuthor,
}

/// Orders posts (given in id order) depth-first. Posts whose parent is missing are placed at
/// the top level rather than dropped, so nothing stored ever vanishes from the page.
pub fn depth_first(posts: Vec<PostWithAuthor>) -> Vec<TreePost> {
    let ids: std::collections::HashSet<i64> = posts.iter().map(|p| p.id).collect();
    let mut children: HashMap<Option<i64>, Vec<usize>> = HashMap::new();
    for (index, post) in posts.iter().enumerate() {
        let parent = post.parent_id.filter(|p| ids.contains(p) && *p != post.id);
        children.entry(parent).or_default().push(index);
    }
    // A reply from elsewhere keeps the time it was written, and may be stored after later ones
    // (a parent fetched only when a reply to it arrived): siblings go by that time. The sort is
    // stable, so posts of one time keep the order they were stored in.
    for kids in children.values_mut() {
        kids.sort_by_key(|&i| posts[i].created_at);
    }
    let mut slots: Vec<Option<PostWithAuthor>> = posts.into_iter().map(Some).collect();
    let mut ordered = Vec::with_capacity(slots.len());
    // An explicit stack: a deep chain of replies must not overflow the call stack.
    let mut stack: Vec<(usize, usize)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|&i| (i, 0)).collect())
        .unwrap_or_default();
    while let Some((index, depth)) = stack.pop() {
        let Some(post) = slots[index].take() else {
            continue;
        };
        if let Some(kids) = children.get(&Some(post.id)) {
            stack.extend(kids.iter().rev().map(|&i| (i, depth + 1)));
        }
        ordered.push(TreePost { depth, post });
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn post(id: i64, parent: Option<i64>) -> PostWithAuthor {
        PostWithAuthor {
            id,
            thread_id: 1,
            parent_id: parent,
            author_id: 1,
            body_html: String::new(),
            like_count: 0,
            created_at: Utc::now(),
            edited_at: None,
            deleted_at: None,
            link_url: None,
            author_name: "a".into(),
            author_display_name: None,
            author_local: true,
            author_post_count: 1,
            removed_at: None,
            author_hidden: None,
            removal_kind: None,
            removal_reason: None,
            remover_name: None,
            refused_elsewhere: None,
            author_profile_url: None,
        }
    }

    #[test]
    fn nests_replies_under_parents() {
        let posts = vec![
            post(1, None),
            post(2, Some(1)),
            post(3, Some(1)),
            post(4, Some(2)),
            post(5, Some(4)),
            post(6, Some(3)),
        ];
        let order: Vec<(i64, usize)> = depth_first(posts)
            .into_iter()
            .map(|t| (t.post.id, t.depth))
            .collect();
        assert_eq!(order, vec![(1, 0), (2, 1), (4, 2), (5, 3), (3, 1), (6, 2)]);
    }

    #[test]
    fn siblings_go_by_the_time_they_were_written() {
        // Post 4 was fetched from elsewhere after 2 and 3 arrived, but written before them.
        let at = |minutes: i64| Utc::now() - chrono::Duration::minutes(minutes);
        let posts = vec![
            PostWithAuthor {
                created_at: at(60),
                ..post(1, None)
            },
            PostWithAuthor {
                created_at: at(10),
                ..post(2, Some(1))
            },
            PostWithAuthor {
                created_at: at(5),
                ..post(3, Some(1))
            },
            PostWithAuthor {
                created_at: at(30),
                ..post(4, Some(1))
            },
        ];
        let order: Vec<i64> = depth_first(posts).into_iter().map(|t| t.post.id).collect();
        assert_eq!(order, vec![1, 4, 2, 3]);
    }

    #[test]
    fn orphans_are_kept() {
        let order: Vec<i64> = depth_first(vec![post(1, None), post(7, Some(99))])
            .into_iter()
            .map(|t| t.post.id)
            .collect();
        assert_eq!(order, vec![1, 7]);
    }

    #[test]
    fn deep_chains_do_not_overflow() {
        let mut posts = vec![post(1, None)];
        posts.extend((2..20_000).map(|i| post(i, Some(i - 1))));
        let tree = depth_first(posts);
        assert_eq!(tree.len(), 19_999);
        assert_eq!(tree.last().map(|t| t.depth), Some(19_998));
    }
}

//! Cursor pagination: `?limit=&cursor=`, answered with `{data, next_cursor}`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::AppError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// Query parameters of every list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page: 50 by default, at most 200 (larger values are capped).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page (digits); empty for the first page.
    #[param(pattern = r"^([0-9]{1,18})?$")]
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)
    }

    /// The id the page starts after (or before, for newest-first lists): the digits of an id,
    /// as the document's pattern says.
    pub fn cursor_id(&self) -> Result<Option<i64>, AppError> {
        self.cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(|c| {
                let digits = (1..=18).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit());
                digits
                    .then(|| c.parse::<i64>().ok())
                    .flatten()
                    .ok_or_else(|| {
                        AppError::invalid("cursor", "cursor: not a cursor this API issued")
                    })
            })
            .transpose()
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only says another page exists.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        limit: i64,
        id: impl Fn(&R) -> i64,
        view: impl FnMut(R) -> T,
    ) -> Self {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit.max(0) as usize);
        let next_cursor = if more {
            rows.last().map(|r| id(r).to_string())
        } else {
            None
        };
        Page {
            data: rows.into_iter().map(view).collect(),
            next_cursor,
        }
    }
}

//! Reads in bulk through JSON batching (`POST /v1.0/$batch`, at most 20 requests each).

use std::collections::HashMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::client::{RequestSpec, Safety, is_transient_status, path_headers, version_of};
use crate::error::parse_graph_error;
use crate::retry::{RetryBudget, parse_retry_after};
use crate::{GraphClient, GraphError, GraphEvent};

/// Graph refuses a batch of more than 20 requests.
pub const MAX_BATCH: usize = 20;

/// One read in flight: where its answer goes and how to ask for it.
pub(crate) struct Read {
    pub(crate) index: usize,
    /// The batch item's URL, relative to its version (e.g. `/groups/abc`).
    pub(crate) relative: String,
    /// The version's `$batch` (`$batch` for v1.0, `beta/$batch`): a batch holds requests of
    /// one version only.
    pub(crate) batch: &'static str,
    pub(crate) conditional_access: bool,
}

/// What became of one item in one round.
pub(crate) enum ItemOutcome {
    Done(Result<Value, GraphError>),
    /// A collection's first page; the rest is fetched after the round.
    FirstPage {
        page: Value,
        next: String,
    },
    Retry {
        reason: String,
        retry_after: Option<Duration>,
        throttled: bool,
    },
}

impl GraphClient {
    /// Reads every path (relative to `/v1.0/`, as for [`get`](Self::get)) through `$batch`, in
    /// chunks of at most 20, and returns the answers in the order of `paths` whatever order
    /// Graph answers in. Only failed items are sent again: 429s after the longest `Retry-After`
    /// among them, 5xx and 424 after backoff. A collection answer with `@odata.nextLink` has its
    /// remaining pages read and merged into `value`. Conditional-access reads go at most one
    /// per batch, through the same one-per-second gate as single requests.
    pub async fn get_many(&self, paths: &[String]) -> Vec<Result<Value, GraphError>> {
        let inner = &self.0;
        let mut results: Vec<Option<Result<Value, GraphError>>> = vec![None; paths.len()];
        let mut pending = Vec::new();
        for (index, path) in paths.iter().enumerate() {
            match inner.resolve(path) {
                Ok(url) => {
                    let display = inner.display_path(&url);
                    let (batch, relative) = match version_of(&display) {
                        Some(v) => ("beta/$batch", display[v.len()..].to_string()),
                        None => ("$batch", format!("/{display}")),
                    };
                    pending.push(Read {
                        index,
                        relative,
                        batch,
                        conditional_access: inner.is_conditional_access(&url),
                    })
                }
                Err(e) => results[index] = Some(Err(e)),
            }
        }

        let mut budget = RetryBudget::new(&inner.retry);
        while !pending.is_empty() {
            let round = budget.start_attempt();
            let mut again: Vec<(Read, String)> = Vec::new();
            let mut longest_retry_after: Option<Duration> = None;
            let mut throttled = 0u64;
            let mut first_pages = Vec::new();

            for (chunk, outcomes) in self.send_wave(chunks(pending), paths).await {
                for (read, outcome) in chunk.into_iter().zip(outcomes) {
                    match outcome {
                        ItemOutcome::Done(result) => results[read.index] = Some(result),
                        ItemOutcome::FirstPage { page, next } => {
                            first_pages.push((read.index, page, next))
                        }
                        ItemOutcome::Retry {
                            reason,
                            retry_after,
                            throttled: was_throttled,
                        } => {
                            if was_throttled {
                                throttled += 1;
                            }
                            if let Some(wait) = retry_after {
                                longest_retry_after =
                                    Some(longest_retry_after.map_or(wait, |w| w.max(wait)));
                            }
                            again.push((read, reason));
                        }
                    }
                }
            }
            inner.count_throttled(throttled);

            for (index, page, next) in first_pages {
                results[index] = Some(self.rest_of_collection(page, next, &paths[index]).await);
            }
            if again.is_empty() {
                break;
            }
            // Honour the longest Retry-After; fall back to backoff only when no item named one.
            let retry_after = longest_retry_after;
            let reason = again[0].1.clone();
            match budget.next_wait(retry_after) {
                Ok(wait) => {
                    let path = format!("$batch ({} of {} reads)", again.len(), paths.len());
                    let event = if throttled > 0 {
                        GraphEvent::Throttled {
                            path,
                            wait,
                            attempt: round,
                        }
                    } else {
                        GraphEvent::Retrying {
                            path,
                            reason,
                            wait,
                            attempt: round,
                        }
                    };
                    inner
                        .wait_before_retry(event, wait, again.len() as u64)
                        .await;
                    pending = again.into_iter().map(|(read, _)| read).collect();
                }
                Err(give_up) => {
                    for (read, reason) in again {
                        results[read.index] = Some(Err(GraphError::RetriesExhausted {
                            method: "GET".to_string(),
                            path: paths[read.index].clone(),
                            attempts: round,
                            last: format!("{reason}; {}", give_up.describe(&inner.retry)),
                        }));
                    }
                    break;
                }
            }
        }

        results
            .into_iter()
            .zip(paths)
            .map(|(result, path)| {
                result.unwrap_or_else(|| {
                    Err(GraphError::Transport {
                        method: "GET".to_string(),
                        path: path.clone(),
                        cause: "no answer was recorded for this read".to_string(),
                    })
                })
            })
            .collect()
    }

    /// Sends every batch of a round at once. Only the batches holding a conditional-access read
    /// wait, each for the gate (a second after the last one's answer): the first of them goes
    /// in the first wave with everything else, so a whole evaluation costs one gate interval
    /// per conditional-access read after the first, not a round trip per batch on top.
    async fn send_wave(
        &self,
        chunks: Vec<Vec<Read>>,
        paths: &[String],
    ) -> Vec<(Vec<Read>, Vec<ItemOutcome>)> {
        if chunks.len() == 1 {
            let chunk = chunks.into_iter().next().expect("one chunk");
            let outcomes = self.send_batch(&chunk, paths).await;
            return vec![(chunk, outcomes)];
        }
        let paths: std::sync::Arc<[String]> = paths.into();
        let mut wave = tokio::task::JoinSet::new();
        for chunk in chunks {
            let client = self.clone();
            let paths = std::sync::Arc::clone(&paths);
            wave.spawn(async move {
                let outcomes = client.send_batch(&chunk, &paths).await;
                (chunk, outcomes)
            });
        }
        let mut answered = Vec::new();
        while let Some(joined) = wave.join_next().await {
            match joined {
                Ok(done) => answered.push(done),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                // Cancelled with the runtime: its reads end with "no answer was recorded".
                Err(_) => {}
            }
        }
        answered
    }

    /// One `$batch` round trip (retried as a whole by `send` on 429/5xx, since it only reads).
    async fn send_batch(&self, chunk: &[Read], paths: &[String]) -> Vec<ItemOutcome> {
        let inner = &self.0;
        let requests: Vec<Value> = chunk
            .iter()
            .map(|read| {
                let mut item =
                    json!({"id": read.index.to_string(), "method": "GET", "url": read.relative});
                let headers = path_headers(&read.relative);
                if !headers.is_empty() {
                    item["headers"] = headers
                        .iter()
                        .map(|(name, value)| (name.to_string(), json!(value)))
                        .collect::<serde_json::Map<_, _>>()
                        .into();
                }
                item
            })
            .collect();
        let body = json!({ "requests": requests });
        let batch = chunk.first().map_or("$batch", |r| r.batch);
        let spec = match inner.spec(Method::POST, batch, Some(&body), Safety::Idempotent) {
            Ok(spec) => RequestSpec {
                conditional_access: chunk.iter().any(|r| r.conditional_access),
                ..spec
            },
            Err(e) => {
                return chunk
                    .iter()
                    .map(|_| ItemOutcome::Done(Err(e.clone())))
                    .collect();
            }
        };
        let answer = match inner.send(spec).await {
            Ok(answer) => answer,
            Err(e) => {
                return chunk
                    .iter()
                    .map(|_| ItemOutcome::Done(Err(e.clone())))
                    .collect();
            }
        };
        read_batch_answer(&answer.body, chunk, paths, &answer.client_request_id)
    }

    /// Reads the pages after a batched first page and merges their items into its `value`.
    async fn rest_of_collection(
        &self,
        mut page: Value,
        next: String,
        path: &str,
    ) -> Result<Value, GraphError> {
        let inner = &self.0;
        let mut items = match page.get_mut("value").map(Value::take) {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        let url = inner.resolve(&next)?;
        let display = format!("{path} (next page)");
        inner.collect_pages(url, display, &mut items).await?;
        page["value"] = Value::Array(items);
        Ok(page)
    }
}

/// Splits reads into batches of one version each (v1.0 first), of at most 20 reads with at most
/// one conditional-access read in each: Graph serves those one per second per tenant, so two in
/// one batch would throttle one.
fn chunks(reads: Vec<Read>) -> Vec<Vec<Read>> {
    let (v1, beta): (Vec<Read>, Vec<Read>) = reads.into_iter().partition(|r| r.batch == "$batch");
    let mut all = chunks_of_one_version(v1);
    all.extend(chunks_of_one_version(beta));
    all
}

fn chunks_of_one_version(reads: Vec<Read>) -> Vec<Vec<Read>> {
    if reads.is_empty() {
        return Vec::new();
    }
    let (conditional, other): (Vec<Read>, Vec<Read>) =
        reads.into_iter().partition(|r| r.conditional_access);
    // Enough batches for every read (the conditional-access ones take room too), and one per
    // conditional-access read at least.
    let count = conditional
        .len()
        .max((conditional.len() + other.len()).div_ceil(MAX_BATCH))
        .max(1);
    let mut chunks: Vec<Vec<Read>> = (0..count).map(|_| Vec::new()).collect();
    for (chunk, read) in chunks.iter_mut().zip(conditional) {
        chunk.push(read);
    }
    let mut target = 0;
    for read in other {
        while chunks[target].len() >= MAX_BATCH {
            target += 1;
        }
        chunks[target].push(read);
    }
    chunks.retain(|c| !c.is_empty());
    chunks
}

/// What became of each read of `chunk`, from the `$batch` answer's body (whatever it holds).
pub(crate) fn read_batch_answer(
    body: &str,
    chunk: &[Read],
    paths: &[String],
    client_request_id: &str,
) -> Vec<ItemOutcome> {
    let envelope: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let Some(responses) = envelope.get("responses").and_then(Value::as_array) else {
        let reason = "the $batch answer has no `responses` array".to_string();
        return chunk
            .iter()
            .map(|_| ItemOutcome::Retry {
                reason: reason.clone(),
                retry_after: None,
                throttled: false,
            })
            .collect();
    };
    let mut by_id: HashMap<&str, &Value> = HashMap::new();
    for response in responses {
        if let Some(id) = response.get("id").and_then(Value::as_str) {
            by_id.insert(id, response);
        }
    }
    chunk
        .iter()
        .map(|read| match by_id.get(read.index.to_string().as_str()) {
            Some(item) => item_outcome(item, &paths[read.index], client_request_id),
            None => ItemOutcome::Retry {
                reason: "the $batch answer left this read out".to_string(),
                retry_after: None,
                throttled: false,
            },
        })
        .collect()
}

fn item_outcome(item: &Value, path: &str, client_request_id: &str) -> ItemOutcome {
    let status = item
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|s| u16::try_from(s).ok())
        .unwrap_or(0);
    let header = |name: &str| -> Option<String> {
        let headers = item.get("headers")?.as_object()?;
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
    };
    let body = item.get("body").cloned().unwrap_or(Value::Null);
    match status {
        200..=299 => {
            let mut page = body;
            match page
                .as_object_mut()
                .and_then(|o| o.remove("@odata.nextLink"))
                .and_then(|n| n.as_str().map(str::to_string))
            {
                Some(next) if !next.is_empty() => ItemOutcome::FirstPage { page, next },
                _ => ItemOutcome::Done(Ok(page)),
            }
        }
        429 => ItemOutcome::Retry {
            reason: "HTTP 429 in $batch".to_string(),
            retry_after: header("retry-after").and_then(|v| parse_retry_after(&v)),
            throttled: true,
        },
        // 424: a request it depended on failed; it was never tried, so send it again.
        s if s == 424 || is_transient_status(s) => ItemOutcome::Retry {
            reason: format!("HTTP {status} in $batch"),
            retry_after: header("retry-after").and_then(|v| parse_retry_after(&v)),
            throttled: false,
        },
        0 => ItemOutcome::Retry {
            reason: "a $batch item without a status".to_string(),
            retry_after: None,
            throttled: false,
        },
        _ => {
            let error = parse_graph_error(&body.to_string());
            ItemOutcome::Done(Err(GraphError::Api {
                status,
                code: error.code,
                message: error.message,
                request_id: header("request-id").or(error.request_id),
                client_request_id: client_request_id.to_string(),
                method: "GET".to_string(),
                path: path.to_string(),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads(total: usize, conditional: &[usize]) -> Vec<Read> {
        (0..total)
            .map(|index| Read {
                index,
                relative: format!("/x/{index}"),
                batch: "$batch",
                conditional_access: conditional.contains(&index),
            })
            .collect()
    }

    #[test]
    fn a_batch_holds_reads_of_one_version() {
        let mut all = reads(3, &[]);
        for r in all.iter_mut().skip(1) {
            r.batch = "beta/$batch";
        }
        let c = chunks(all);
        assert_eq!(c.len(), 2);
        assert!(c[0].iter().all(|r| r.batch == "$batch"));
        assert!(c[1].iter().all(|r| r.batch == "beta/$batch") && c[1].len() == 2);
    }

    #[test]
    fn chunks_hold_at_most_twenty_and_one_conditional_access_read() {
        let c = chunks(reads(45, &[]));
        assert_eq!(c.iter().map(Vec::len).collect::<Vec<_>>(), vec![20, 20, 5]);
        let c = chunks(reads(45, &[3, 10, 11, 40]));
        assert_eq!(c.len(), 4);
        for chunk in &c {
            assert!(chunk.len() <= MAX_BATCH);
            assert!(chunk.iter().filter(|r| r.conditional_access).count() <= 1);
        }
        assert_eq!(c.iter().map(Vec::len).sum::<usize>(), 45);
        assert!(chunks(Vec::new()).is_empty());
    }

    /// 61 reads, two of them conditional access: the two take room in their batches, so the
    /// other 59 need a fourth batch (three batches of 20 hold only 58 of them beside the two).
    #[test]
    fn conditional_access_reads_take_room_in_their_batches() {
        for (total, conditional, batches) in [
            (60, &[0, 1][..], 3),
            (61, &[0, 1][..], 4),
            (40, &[5, 6, 7][..], 3),
        ] {
            let c = chunks(reads(total, conditional));
            assert_eq!(c.len(), batches, "{total} reads");
            assert_eq!(c.iter().map(Vec::len).sum::<usize>(), total);
            for chunk in &c {
                assert!(chunk.len() <= MAX_BATCH);
                assert!(chunk.iter().filter(|r| r.conditional_access).count() <= 1);
            }
        }
    }

    #[test]
    fn items_are_classified_by_status() {
        let ok = item_outcome(
            &json!({"id":"1","status":200,"body":{"id":"g"}}),
            "groups/g",
            "c",
        );
        assert!(matches!(ok, ItemOutcome::Done(Ok(_))));
        let paged = item_outcome(
            &json!({"id":"1","status":200,"body":{"value":[],"@odata.nextLink":"https://g/v1.0/groups?$skiptoken=a"}}),
            "groups",
            "c",
        );
        assert!(matches!(paged, ItemOutcome::FirstPage { .. }));
        let throttled = item_outcome(
            &json!({"id":"1","status":429,"headers":{"Retry-After":"1.5"}}),
            "groups",
            "c",
        );
        let ItemOutcome::Retry {
            retry_after,
            throttled: true,
            ..
        } = throttled
        else {
            panic!()
        };
        assert_eq!(retry_after, Some(Duration::from_millis(1500)));
        assert!(matches!(
            item_outcome(&json!({"id":"1","status":424}), "g", "c"),
            ItemOutcome::Retry {
                throttled: false,
                ..
            }
        ));
        let missing = item_outcome(
            &json!({"id":"1","status":404,"body":{"error":{"code":"Request_ResourceNotFound","message":"gone"}}}),
            "groups/x",
            "c",
        );
        let ItemOutcome::Done(Err(e)) = missing else {
            panic!()
        };
        assert!(e.is_not_found());
        assert_eq!(e.code(), Some("Request_ResourceNotFound"));
    }
}

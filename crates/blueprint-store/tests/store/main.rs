//! The state store's tests: every case runs on both backends — SQLite (a file) and PostgreSQL
//! (the machine's server; `.ci/run` starts it, and a test that cannot reach it fails).

mod cases;
mod support;

/// `mod sqlite { #[test] fn case() }` and `mod postgres { … }` for each case in `cases`.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::support::Db::new(blueprint_store::Backend::Sqlite).await;
                    crate::cases::$case(db).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let db = crate::support::Db::new(blueprint_store::Backend::Postgres).await;
                    crate::cases::$case(db).await
                }
            )*
        }
    };
}

on_both_backends!(
    journal_records_intent_outcome_and_interruptions,
    a_create_is_known_from_the_moment_it_returns,
    engagements_are_registered_once_per_id_and_updated_in_place,
    adoption_never_downgrades_created_by_tool,
    a_parent_relied_on_is_managed_never_created_and_let_go,
    state_kept_under_another_name_of_the_tenant_is_adopted,
    locks_are_per_tenant_and_never_shared_by_one_host_and_pid,
    a_crashed_holder_is_taken_over_after_expiry_and_not_before,
    a_live_holder_is_never_taken_over,
    a_dead_holder_on_this_machine_is_taken_over_at_once,
    a_broken_lock_stops_its_holder_at_the_next_entry,
    a_holder_whose_renewals_fail_stops_before_its_lease_lapses,
    breaking_a_lock_is_logged_with_who_and_which_lock,
    an_old_style_lock_becomes_a_lease_that_lapses,
    log_chains_entries_verifies_exports_and_derives_status,
    log_refuses_non_integer_numbers_and_missing_actors,
    editing_any_column_of_a_log_entry_makes_verify_fail_at_that_entry,
    concurrent_appends_from_two_processes_leave_one_chain,
    jobs_run_one_per_engagement_and_are_interrupted_when_their_lease_lapses,
    a_schedule_queues_one_job_per_interval_across_servers,
    two_runners_never_claim_the_same_job,
    two_runners_never_run_two_jobs_of_one_engagement,
    journal_writes_from_many_tasks_at_once_all_land,
);

/// The second process of `concurrent_appends_from_two_processes_leave_one_chain`: a no-op
/// unless that test started this binary with `BLUEPRINT_STORE_LOG_CHILD` set.
#[tokio::test]
async fn log_append_child_helper() {
    cases::log_append_child_helper().await
}

#[tokio::test]
async fn a_database_url_with_a_password_never_shows_it() {
    let err = blueprint_store::Store::connect("postgres://agency:hunter2@127.0.0.1:1/db")
        .await
        .unwrap_err()
        .to_string();
    assert!(!err.contains("hunter2"), "{err}");
    assert!(err.contains("agency:***@127.0.0.1:1/db"), "{err}");
    let err = blueprint_store::Store::connect("mysql://x:secret@h/db")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        !err.contains("secret") && err.contains("unknown scheme"),
        "{err}"
    );
}

//! One contract, every metadata store: each case runs on SQLite (a temporary file) and
//! on Postgres (a fresh schema of `WISAW_TEST_DATABASE_URL`; skipped when that is unset,
//! unless `WISAW_REQUIRE_POSTGRES=1`).

pub mod backend;
pub mod cases;
pub mod feed;
pub mod fixtures;
pub mod outbox;
pub mod races;
pub mod replays;
pub mod standing;
mod upgrade;

// A test per case and store, `sqlite::case` and `postgres::case`: each case takes the
// `Backend` built on its store.
wisaw_testkit::on_every_store!(by_store:
    cases::create_is_insert_if_absent,
    cases::the_lifecycle_guards_every_move,
    cases::another_execution_takes_over_a_processing_photo_but_not_a_rejected_one,
    cases::repeating_an_outcome_changes_nothing_not_even_updated_at,
    cases::concurrent_outcomes_change_a_photo_once,
    cases::reporters_are_counted_once_per_device_across_an_owners_photos,
    cases::deleting_a_photo_takes_its_reports_and_announcements_along,
    cases::photos_are_counted_by_status_in_the_lifecycles_order,
    outbox::an_announced_outcome_records_its_event_once,
    outbox::a_failure_or_a_refused_outcome_announces_nothing,
    outbox::the_sweep_reads_unsent_events_oldest_first,
    outbox::concurrent_marks_send_an_event_once,
    outbox::a_failing_event_goes_behind_the_others,
    outbox::a_late_announcement_is_recorded_once,
    cases::rows_survive_reopening_the_store,
    races::a_create_racing_a_delete_finds_the_photo_or_makes_it_anew,
    races::a_report_on_a_photo_deleted_meanwhile_is_not_found,
    standing::made_up_reporters_are_kept_but_do_not_count,
    standing::standing_is_a_photo_ready_before_the_report,
    standing::one_address_brings_at_most_three_counted_reporters_a_day,
    standing::a_photos_reports_are_read_oldest_first_with_their_standing,
    replays::a_replay_is_saved_whole_and_rewritten_in_place,
    replays::replays_are_listed_newest_first_up_to_the_limit,
    replays::the_replay_log_outlives_its_photos_and_a_restart,
    feed::the_feed_pages_nearest_first_exactly_like_a_full_sort,
    feed::the_feed_matches_a_brute_force_sort_of_ten_thousand_photos,
    feed::a_photo_inserted_between_pages_is_neither_repeated_nor_skips_another,
    feed::a_limit_of_zero_reads_as_one_so_paging_moves_forward;
    postgres_only: feed::the_feed_is_read_from_the_spatial_index,
        backend::an_idle_session_is_ended_by_the_server,
        backend::a_connection_waits_out_a_database_that_resumes,
        backend::a_schema_is_migrated_whatever_schema_follows_it,
);

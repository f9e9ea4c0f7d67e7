//! The sync demos print exactly what the course says, under the virtual clock.

mod common;
use common::run_demo_virtual;

#[test]
fn demo_semaphore_runs_twenty_requests_in_four_waves_of_five_in_four_seconds() {
    assert_eq!(
        run_demo_virtual("semaphore"),
        "20 requests of 1 s each; a Semaphore(5) lets 5 run at a time\n\
         wave 1: 0.000 s -> 1.000 s  requests 1, 2, 3, 4, 5\n\
         wave 2: 1.000 s -> 2.000 s  requests 6, 7, 8, 9, 10\n\
         wave 3: 2.000 s -> 3.000 s  requests 11, 12, 13, 14, 15\n\
         wave 4: 3.000 s -> 4.000 s  requests 16, 17, 18, 19, 20\n\
         at most 5 ran at once; all 20 done after 4.000 s (one at a time: 20 s)\n"
    );
}

#[test]
fn demo_async_iter_yields_every_tenth_of_a_second_and_always_disconnects() {
    assert_eq!(
        run_demo_virtual("async_iter"),
        "async for: an async range over 1..=5, one item every 0.1 s\n\
         [0.100 s] item 1\n\
         [0.200 s] item 2\n\
         [0.300 s] item 3\n\
         [0.400 s] item 4\n\
         [0.500 s] item 5\n\
         [0.500 s] next() returned None: the loop ends\n\
         async with: connect, query, disconnect\n\
         case 1, success:\n\
         [0.600 s]   connected\n\
         [0.600 s]   query users\n\
         [0.850 s]   disconnected (async close)\n\
         [0.850 s] result: 3 rows from users\n\
         case 2, the query fails:\n\
         [0.950 s]   connected\n\
         [0.950 s]   query missing\n\
         [1.200 s]   disconnected (async close)\n\
         [1.200 s] result: query failed: no table named 'missing'\n\
         case 3, cancelled by a 0.15 s timeout during the query:\n\
         [1.300 s]   connected\n\
         [1.300 s]   query orders\n\
         [1.350 s]   disconnected (Drop: the future was cancelled, so no await was possible)\n\
         [1.350 s] result: timed out; the session future was dropped\n"
    );
}

#[test]
fn demo_queue_runs_asyncios_worker_pool_and_joins_after_the_twentieth_job() {
    assert_eq!(
        run_demo_virtual("queue"),
        "[0.230 s] worker-2 has slept for 0.23 seconds\n\
         [0.359 s] worker-2 has slept for 0.13 seconds\n\
         [0.459 s] worker-0 has slept for 0.46 seconds\n\
         [0.745 s] worker-1 has slept for 0.74 seconds\n\
         [1.017 s] worker-0 has slept for 0.56 seconds\n\
         [1.032 s] worker-2 has slept for 0.67 seconds\n\
         [1.463 s] worker-1 has slept for 0.72 seconds\n\
         [1.470 s] worker-2 has slept for 0.44 seconds\n\
         [1.498 s] worker-0 has slept for 0.48 seconds\n\
         [1.886 s] worker-0 has slept for 0.39 seconds\n\
         [1.972 s] worker-2 has slept for 0.50 seconds\n\
         [2.012 s] worker-1 has slept for 0.55 seconds\n\
         [2.620 s] worker-1 has slept for 0.61 seconds\n\
         [2.647 s] worker-0 has slept for 0.76 seconds\n\
         [2.671 s] worker-2 has slept for 0.70 seconds\n\
         [2.817 s] worker-0 has slept for 0.17 seconds\n\
         [3.123 s] worker-2 has slept for 0.45 seconds\n\
         [3.407 s] worker-1 has slept for 0.79 seconds\n\
         [3.796 s] worker-0 has slept for 0.98 seconds\n\
         [4.106 s] worker-2 has slept for 0.98 seconds\n\
         ====\n\
         3 workers slept in parallel for 4.11 seconds\n\
         total expected sleep time: 11.31 seconds\n\
         3 workers cancelled while waiting in get(); 0 items left\n"
    );
}

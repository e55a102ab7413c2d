/*
 * check_main.h — what every Check suite's main() does: run the suite, let Check print
 * its summary line, and exit 1 when any test failed. `fork` is CK_FORK_GETENV (Check's
 * default: each test in its own process, so a crash fails that test alone; CK_FORK=no
 * in the environment turns it off) or CK_NOFORK for suites whose tests share state.
 */
#ifndef LS_CHECK_MAIN_H
#define LS_CHECK_MAIN_H

#include <check.h>

static inline int ls_check_run(Suite *suite, enum fork_status fork)
{
    SRunner *runner = srunner_create(suite);
    if (fork != CK_FORK_GETENV)
        srunner_set_fork_status(runner, fork);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? 1 : 0;
}

#endif /* LS_CHECK_MAIN_H */

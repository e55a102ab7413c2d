/*
 * review_peak_helper.c — the traced peak with an idle helper thread alive: main takes
 * 250 blocks of 1000 bytes and frees them; the peak must rise by exactly 250,000 bytes,
 * as it does without the helper.  usage: review_peak_helper [threads]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <leakscope.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int ready, stop;

static void *helper(void *a)
{
    (void)a;
    void *volatile p = malloc(16);
    pthread_mutex_lock(&lock);
    ready = 1;
    pthread_cond_broadcast(&cond);
    while (!stop)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    free(p);
    return NULL;
}

int main(int argc, char **argv)
{
    (void)argv;
    int threads = argc > 1;
    pthread_t t;
    if (threads) {
        pthread_create(&t, NULL, helper, NULL);
        pthread_mutex_lock(&lock);
        while (!ready)
            pthread_cond_wait(&cond, &lock);
        pthread_mutex_unlock(&lock);
    }
    size_t cur0, peak0, cur, peak;
    leakscope_reset_peak();
    leakscope_traced_memory(&cur0, &peak0);
    void *volatile b[250];
    for (int i = 0; i < 250; i++)
        b[i] = malloc(1000);
    for (int i = 0; i < 250; i++)
        free(b[i]);
    leakscope_traced_memory(&cur, &peak);
    printf("peak rose by %zu, current by %zu\n", peak - cur0, cur - cur0);
    if (threads) {
        pthread_mutex_lock(&lock);
        stop = 1;
        pthread_cond_broadcast(&cond);
        pthread_mutex_unlock(&lock);
        pthread_join(t, NULL);
    }
    return 0;
}

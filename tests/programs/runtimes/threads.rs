// threads.rs — a Rust program with threads, run under the shim by
// tests/integration/shim_runtimes.sh. Rust's runtime calls pthread_getattr_np on the main
// thread at start and on every thread it spawns (for the stack guard), before their first
// allocations: a shim that asked pthread_getattr_np for stack bounds hung in it.
use std::sync::mpsc;
use std::thread;

fn main() {
    let (tx, rx) = mpsc::channel();
    let workers: Vec<_> = (0..4u64)
        .map(|k| {
            let tx = tx.clone();
            thread::Builder::new()
                .name(format!("worker{}", k))
                .spawn(move || {
                    let v: Vec<u64> = (0..1000 * (k + 1)).collect();
                    let s: u64 = v.iter().sum();
                    tx.send((k, s)).unwrap();
                    format!("{}:{}", thread::current().name().unwrap(), v.len())
                })
                .unwrap()
        })
        .collect();
    drop(tx);
    let names: Vec<String> = workers.into_iter().map(|w| w.join().unwrap()).collect();
    let mut sums: Vec<(u64, u64)> = rx.iter().collect();
    sums.sort();
    println!("{}", names.join(" "));
    for (k, s) in sums {
        println!("worker {} summed {}", k, s);
    }
}

// Threads.java — a Java program with threads, run under the shim by
// tests/integration/shim_runtimes.sh. The JVM calls pthread_getattr_np on each thread it
// starts, before the thread's first allocation: a shim that asked pthread_getattr_np for
// stack bounds hung in it (`java -version` already did).
import java.util.ArrayList;
import java.util.List;

public class Threads {
    public static void main(String[] args) throws InterruptedException {
        long[] sums = new long[4];
        List<Thread> threads = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
            final int id = k;
            Thread t = new Thread(() -> {
                StringBuilder sb = new StringBuilder();
                for (int i = 0; i < 1000 * (id + 1); i++)
                    sb.append(i % 10);
                long s = 0;
                for (int i = 0; i < sb.length(); i++)
                    s += sb.charAt(i) - '0';
                sums[id] = s;
            }, "worker" + k);
            threads.add(t);
            t.start();
        }
        for (Thread t : threads)
            t.join();
        for (int k = 0; k < 4; k++)
            System.out.println("worker " + k + " summed " + sums[k]);
    }
}

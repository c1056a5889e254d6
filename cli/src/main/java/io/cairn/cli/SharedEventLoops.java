package io.cairn.cli;

import io.grpc.internal.SharedResourceHolder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import java.lang.reflect.Field;
import java.util.concurrent.TimeUnit;

/**
 * Stops gRPC's shared client event loops before the CLI exits.
 *
 * <p>HotSpot's exit ({@code System.exit} and a return from {@code main} alike) first waits up to
 * 300 ms, in 10 ms steps, for every thread running native code to stop (JDK 17,
 * {@code VM_Exit::wait_for_threads_in_native_to_block}). An idle Netty event loop is such a
 * thread: it sits in {@code epoll_wait}. The channels of a {@link io.cairn.client.CairnClient}
 * run on gRPC's process-wide event-loop group, which gRPC keeps for a second after the last
 * channel closes, so every one-shot command paid those 300 ms after its work was done.
 * Shutting the group down takes a few milliseconds.
 *
 * <p>The group is gRPC's (grpc-netty's {@code Utils.DEFAULT_WORKER_EVENT_LOOP_GROUP}, reached by
 * reflection); when a gRPC version moves it, this does nothing and exits are 300 ms slower, no
 * more. Call it only when nothing in the process uses gRPC any more: just before exiting.
 */
final class SharedEventLoops {
    /** How long to wait for the loops to stop; past that, the JVM's own wait takes over. */
    private static final long WAIT_MILLIS = 200;

    private SharedEventLoops() {}

    static void shutDown() {
        if (!anyEventLoopThread()) {
            // No channel ever ran (help, bad input, server commands that never connected): asking
            // gRPC for the group now would create one.
            return;
        }
        try {
            Class<?> utils = Class.forName("io.grpc.netty.shaded.io.grpc.netty.Utils", false,
                    SharedEventLoops.class.getClassLoader());
            Field field = utils.getDeclaredField("DEFAULT_WORKER_EVENT_LOOP_GROUP");
            field.setAccessible(true);
            @SuppressWarnings("unchecked")
            SharedResourceHolder.Resource<EventLoopGroup> resource =
                    (SharedResourceHolder.Resource<EventLoopGroup>) field.get(null);
            EventLoopGroup group = SharedResourceHolder.get(resource);
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).await(WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            // gRPC changed: exit the slow way.
        }
    }

    /** Is a thread of gRPC's client event loops alive ("grpc-default-worker-ELG-…", "grpc-nio-worker-ELG-…")? */
    private static boolean anyEventLoopThread() {
        Thread[] threads = new Thread[Thread.activeCount() + 16];
        int n = Thread.enumerate(threads);
        for (int i = 0; i < n; i++) {
            String name = threads[i].getName();
            if (name.startsWith("grpc-") && name.contains("worker-ELG")) {
                return true;
            }
        }
        return false;
    }
}

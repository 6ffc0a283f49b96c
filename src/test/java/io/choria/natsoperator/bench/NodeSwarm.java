package io.choria.natsoperator.bench;

import io.nats.client.Connection;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;

/**
 * Many Choria-like nodes in one process with a handful of threads: non-blocking sockets and an
 * SSLEngine per connection, speaking just enough NATS (INFO, TLS upgrade, CONNECT, SUB, PING/PONG,
 * MSG counting). jnats parks about five threads per connection; this holds 10,000 TLS
 * connections with {@code loops} threads (plus one timer thread for reconnects), so a broker's
 * memory and reconnect storms at fleet size can be measured on a small machine. Each node
 * subscribes as a Choria node does: 5 broadcast agent subjects and its own reply subject.
 *
 * <p>Reconnects as nats.go does (Choria's client library): a node that loses its connection, or
 * whose attempt fails (refused, reset, TLS failure, {@code -ERR}, timeout), tries the next
 * server of its pool (each node's pool in its own order, as nats.go shuffles it); once it has tried every server it sleeps {@code reconnectWait} plus a
 * random jitter below {@code jitter} (nats.go: {@code ReconnectWait} 2 s,
 * {@code ReconnectJitterTLS} 1 s) before the next try. With one server it therefore sleeps before
 * every attempt. Attempts are unlimited ({@code MaxReconnects(-1)}). Each phase of an attempt
 * (TCP connect; INFO to the PONG that acknowledges CONNECT and SUBs) is bounded by
 * {@code timeout} (nats.go's {@code Timeout}, 2 s). A node is "in" when that first PONG arrives:
 * {@link #established} counts them, {@link #backAt} records when, {@link #attempts} how many
 * attempts it took since {@link #resetAttempts()}.
 */
final class NodeSwarm implements StormNodes {
    /** nats.go's defaults, which Choria's nodes keep. */
    record Settings(Duration reconnectWait, Duration jitter, Duration timeout) {
        static final Settings NATS_GO = new Settings(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(2));
    }

    private static final int BUCKETS = 7200; // completions per second, for two hours

    private final List<InetSocketAddress> brokers;
    private final SSLContext tls;
    private final List<String> agents;
    private final Settings settings;
    private final Loop[] loops;
    private final ScheduledExecutorService timer;
    private final long createdNanos = System.nanoTime();
    private volatile boolean closing;
    private final int capacity;
    /** The first exception a connection failed with, printed once: a setup mistake shows at once, not as a timeout. */
    private final java.util.concurrent.atomic.AtomicReference<Exception> firstError = new java.util.concurrent.atomic.AtomicReference<>();
    /** Nodes whose CONNECT and SUBs a PONG acknowledged, and which are still connected. */
    final AtomicInteger established = new AtomicInteger();
    /** Failed attempts and lost connections, all reasons. */
    final AtomicInteger failed = new AtomicInteger();
    final AtomicInteger started = new AtomicInteger();
    final AtomicLong messages = new AtomicLong();
    private final AtomicIntegerArray attempts;
    private final AtomicIntegerArray server;
    private final AtomicLongArray backAt;
    /** Per node: failed attempts since it was last in, for nats.go's "sleep once every server was tried". */
    private final AtomicIntegerArray episodes;
    /** Per broker, per second since the swarm was made: connections completed (PONG received). */
    private final AtomicLongArray completions;

    NodeSwarm(InetSocketAddress broker, SSLContext tls, List<String> agents, int threads) throws IOException {
        this(List.of(broker), tls, agents, threads, Settings.NATS_GO, 20_000);
    }

    NodeSwarm(List<InetSocketAddress> brokers, SSLContext tls, List<String> agents, int threads, Settings settings, int capacity)
            throws IOException {
        this.brokers = List.copyOf(brokers);
        this.tls = tls;
        this.agents = agents;
        this.settings = settings;
        this.capacity = capacity;
        this.attempts = new AtomicIntegerArray(capacity);
        this.server = new AtomicIntegerArray(capacity);
        this.backAt = new AtomicLongArray(capacity);
        this.episodes = new AtomicIntegerArray(capacity);
        this.completions = new AtomicLongArray(BUCKETS * this.brokers.size());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "swarm-reconnect");
            t.setDaemon(true);
            return t;
        });
        this.loops = new Loop[threads];
        for (int i = 0; i < threads; i++) {
            loops[i] = new Loop(Selector.open());
            Thread t = new Thread(loops[i], "swarm-" + i);
            t.setDaemon(true);
            t.start();
        }
    }

    /** Starts node {@code id}'s connection to broker {@code id % brokers}; it completes in the background. */
    void connect(int id) {
        if (id >= capacity) throw new IllegalArgumentException("node " + id + " beyond the swarm's capacity " + capacity);
        server.set(id, id % brokers.size());
        started.incrementAndGet();
        attempt(id);
    }

    private void attempt(int id) {
        if (closing) return;
        Loop loop = loops[id % loops.length];
        loop.pending.add(id);
        loop.selector.wakeup();
    }

    /**
     * Connects nodes {@code 0..n-1} with at most {@code inFlight} attempts outstanding (a steady
     * connect, not a storm) and waits until all are in; returns the seconds it took.
     */
    @Override
    public double connectSteadily(int n, int inFlight, Duration bound) throws InterruptedException {
        long t0 = System.nanoTime();
        long deadline = t0 + bound.toNanos();
        for (int i = 0; i < n; i++) {
            while (started.get() - established.get() >= inFlight) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("connect: " + established.get() + " of " + n + " in after " + bound);
                Thread.sleep(1);
            }
            connect(i);
        }
        await(n + " nodes in", bound, () -> established.get() >= n);
        return (System.nanoTime() - t0) / 1e9;
    }

    /** One publish on {@code subject}; milliseconds until every established node has received it. */
    double broadcast(Connection publisher, String subject, Duration bound) throws Exception {
        long before = messages.get();
        int target = established.get();
        long p0 = System.nanoTime();
        publisher.publish(subject, "ping".getBytes(StandardCharsets.US_ASCII));
        publisher.flush(bound);
        await("broadcast to " + target, bound, () -> messages.get() - before >= target);
        return (System.nanoTime() - p0) / 1e6;
    }

    /** Median, min and max of {@code rounds} broadcasts, in ms. */
    double[] broadcasts(Connection publisher, String subject, int rounds, Duration bound) throws Exception {
        List<Double> ms = new ArrayList<>();
        for (int r = 0; r < rounds; r++) ms.add(broadcast(publisher, subject, bound));
        Collections.sort(ms);
        return new double[] {ms.get(ms.size() / 2), ms.get(0), ms.get(ms.size() - 1)};
    }

    long totalAttempts() {
        long t = 0;
        for (int i = 0; i < capacity; i++) t += attempts.get(i);
        return t;
    }

    /**
     * For a benchmark JVM, at its start (JSSE reads it once): the key shares a nats.go client offers
     * (X25519 only) rather than JSSE's second, P-256 key share, a key pair made per handshake that
     * the broker never uses (a fifth of the swarm's CPU).
     */
    static void offerGoKeyShares() {
        System.setProperty("jdk.tls.namedGroups", "x25519");
    }

    int capacity() {
        return capacity;
    }

    private volatile long markedNanos;

    @Override
    public int established() {
        return established.get();
    }

    @Override
    public void mark() {
        markedNanos = System.nanoTime();
    }

    @Override
    public Result result(int n) {
        long r0 = markedNanos;
        double[] backS = new double[n];
        int over3 = 0, max = 0, back = 0;
        long total = 0;
        for (int i = 0; i < n; i++) {
            long at = backAt(i);
            backS[i] = at >= r0 ? (at - r0) / 1e9 : Double.POSITIVE_INFINITY;
            if (at >= r0) back++;
            int a = attempts(i);
            total += a;
            if (a > 3) over3++;
            max = Math.max(max, a);
        }
        java.util.Arrays.sort(backS);
        java.util.function.IntFunction<Double> at = i -> Double.isInfinite(backS[i]) ? -1 : backS[i];
        return new Result(back, at.apply(n / 2), at.apply((int) (n * 0.9)), at.apply(n - 1), over3, max, total);
    }

    /** This JVM's CPU time: the swarm's, with the benchmark's own small share. */
    @Override
    public long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    @Override
    public void resetAttempts() {
        for (int i = 0; i < capacity; i++) attempts.set(i, 0);
    }

    /** Connection attempts node {@code id} made since {@link #resetAttempts()}. */
    int attempts(int id) {
        return attempts.get(id);
    }

    /** {@link System#nanoTime()} when node {@code id} was last acknowledged by a broker (0: never). */
    long backAt(int id) {
        return backAt.get(id);
    }

    /** The broker node {@code id} is connected to (or trying). */
    int server(int id) {
        return server.get(id);
    }

    /** Connections broker {@code b} completed in each second from {@code fromNanos} to {@code toNanos}. */
    long[] completionsPerSecond(int b, long fromNanos, long toNanos) {
        int from = bucket(fromNanos), to = bucket(toNanos);
        long[] out = new long[Math.max(0, to - from + 1)];
        for (int s = from; s <= to; s++) out[s - from] = completions.get(b * BUCKETS + s);
        return out;
    }

    private int bucket(long nanos) {
        return (int) Math.min(BUCKETS - 1, Math.max(0, (nanos - createdNanos) / 1_000_000_000L));
    }

    static void await(String what, Duration bound, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("timed out after " + bound + ": " + what);
            Thread.sleep(5);
        }
    }

    @Override
    public void close() {
        closing = true;
        timer.shutdownNow();
        for (Loop l : loops) l.stop();
    }

    private final class Loop implements Runnable {
        final Selector selector;
        final ConcurrentLinkedQueue<Integer> pending = new ConcurrentLinkedQueue<>();
        volatile boolean running = true;
        long lastTimeoutScan;

        Loop(Selector selector) {
            this.selector = selector;
        }

        void stop() {
            running = false;
            selector.wakeup();
        }

        @Override
        public void run() {
            try {
                while (running) {
                    selector.select(200);
                    for (Integer id; (id = pending.poll()) != null; ) open(id);
                    for (var it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                        SelectionKey k = it.next();
                        it.remove();
                        Node n = (Node) k.attachment();
                        try {
                            n.ready(k);
                        } catch (IOException | RuntimeException e) {
                            if (firstError.compareAndSet(null, e)) System.err.println("swarm: first connection error: " + e);
                            n.fail();
                        }
                    }
                    long now = System.nanoTime();
                    if (now - lastTimeoutScan > 200_000_000L) {
                        lastTimeoutScan = now;
                        for (SelectionKey k : selector.keys()) {
                            Node n = (Node) k.attachment();
                            if (n.deadline != 0 && now > n.deadline) n.fail();
                        }
                    }
                }
                for (SelectionKey k : selector.keys()) k.channel().close();
                selector.close();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        private void open(int id) {
            attempts.incrementAndGet(id);
            Node n = new Node(id, brokers.get(server.get(id)), this);
            try {
                SocketChannel ch = SocketChannel.open();
                n.ch = ch;
                ch.configureBlocking(false);
                n.deadline = System.nanoTime() + settings.timeout().toNanos();
                if (ch.connect(n.broker)) {
                    n.key = ch.register(selector, SelectionKey.OP_READ, n);
                } else {
                    n.key = ch.register(selector, SelectionKey.OP_CONNECT, n);
                }
            } catch (IOException | RuntimeException e) {
                n.fail();
            }
        }
    }

    private final class Node {
        final int id;
        final InetSocketAddress broker;
        final Loop loop;
        SocketChannel ch;
        SelectionKey key;
        SSLEngine engine;
        ByteBuffer netIn = ByteBuffer.allocate(4096);
        ByteBuffer netOut;
        ByteBuffer appIn;
        final StringBuilder lines = new StringBuilder();
        boolean tlsUp;
        boolean counted;
        boolean dead;
        /** nanoTime by which the current phase must finish; 0 once the node is in. */
        long deadline;
        int skipPayload = -1;

        Node(int id, InetSocketAddress broker, Loop loop) {
            this.id = id;
            this.broker = broker;
            this.loop = loop;
        }

        void ready(SelectionKey k) throws IOException {
            if (k.isConnectable()) {
                ch.finishConnect();
                deadline = System.nanoTime() + settings.timeout().toNanos(); // INFO .. PONG: the second phase
                k.interestOps(SelectionKey.OP_READ);
                return;
            }
            if (k.isReadable()) read();
            if (k.isValid() && k.isWritable()) flush();
        }

        void read() throws IOException {
            if (engine == null) {
                // Before TLS: the server's INFO line, in clear.
                int r = ch.read(netIn);
                if (r < 0) throw new IOException("closed before INFO");
                String s = new String(netIn.array(), 0, netIn.position(), StandardCharsets.US_ASCII);
                if (!s.contains("\r\n")) return;
                startTls();
                return;
            }
            int r = ch.read(netIn);
            if (r < 0) throw new IOException("closed");
            netIn.flip();
            while (netIn.hasRemaining()) {
                SSLEngineResult res = engine.unwrap(netIn, appIn);
                if (res.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) break;
                if (res.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                    appIn = grow(appIn, engine.getSession().getApplicationBufferSize());
                    continue;
                }
                if (res.getStatus() == SSLEngineResult.Status.CLOSED) throw new IOException("TLS closed");
                handshake(res.getHandshakeStatus());
                if (res.bytesConsumed() == 0 && res.bytesProduced() == 0) break;
            }
            netIn.compact();
            if (netIn.position() == netIn.capacity()) netIn = grow(netIn, netIn.capacity() * 2);
            consumeApp();
        }

        void startTls() throws IOException {
            // no peer host: no session cache lookup, so every attempt is a full handshake as with nats.go (no ClientSessionCache)
            engine = tls.createSSLEngine();
            engine.setUseClientMode(true);
            netIn.clear();
            netOut = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            appIn = ByteBuffer.allocate(engine.getSession().getApplicationBufferSize());
            engine.beginHandshake();
            handshake(engine.getHandshakeStatus());
        }

        void handshake(SSLEngineResult.HandshakeStatus hs) throws IOException {
            while (true) {
                switch (hs) {
                    case NEED_TASK -> {
                        Runnable task;
                        while ((task = engine.getDelegatedTask()) != null) task.run();
                        hs = engine.getHandshakeStatus();
                    }
                    case NEED_WRAP -> {
                        SSLEngineResult res = engine.wrap(ByteBuffer.allocate(0), netOut);
                        flush();
                        hs = res.getHandshakeStatus();
                        if (res.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) return; // flush when writable
                    }
                    case FINISHED, NOT_HANDSHAKING -> {
                        if (!tlsUp && !engine.getSession().getProtocol().equals("NONE") && hs != SSLEngineResult.HandshakeStatus.NEED_UNWRAP) {
                            tlsUp = true;
                            StringBuilder c = new StringBuilder("CONNECT {\"verbose\":false,\"pedantic\":false,\"tls_required\":true,\"name\":\"node-")
                                    .append(id).append("\",\"lang\":\"java-swarm\",\"version\":\"0\",\"protocol\":1,\"echo\":false}\r\n");
                            int sid = 1;
                            for (String a : agents) c.append("SUB choria.broadcast.agent.").append(a).append(' ').append(sid++).append("\r\n");
                            c.append("SUB choria.reply.node-").append(id).append(' ').append(sid).append("\r\nPING\r\n");
                            send(c.toString());
                        }
                        return;
                    }
                    default -> {
                        return; // NEED_UNWRAP: wait for data
                    }
                }
            }
        }

        void send(String text) throws IOException {
            ByteBuffer app = ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII));
            while (app.hasRemaining()) {
                SSLEngineResult res = engine.wrap(app, netOut);
                if (res.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                    netOut = grow(netOut, netOut.capacity() * 2);
                }
            }
            flush();
        }

        void flush() throws IOException {
            netOut.flip();
            ch.write(netOut);
            boolean more = netOut.hasRemaining();
            netOut.compact();
            key.interestOps(more ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
        }

        /** NATS protocol lines after TLS: PING -> PONG, the first PONG means the node is in, MSG payloads counted. */
        void consumeApp() throws IOException {
            appIn.flip();
            while (appIn.hasRemaining()) {
                if (skipPayload >= 0) {
                    int n = Math.min(skipPayload, appIn.remaining());
                    appIn.position(appIn.position() + n);
                    skipPayload -= n;
                    if (skipPayload == 0) skipPayload = -1;
                    continue;
                }
                char ch = (char) appIn.get();
                if (ch != '\n') {
                    lines.append(ch);
                    continue;
                }
                String line = lines.toString().trim();
                lines.setLength(0);
                if (line.startsWith("PING")) {
                    send("PONG\r\n");
                } else if (line.startsWith("PONG")) {
                    if (!counted) in();
                } else if (line.startsWith("MSG")) {
                    String[] f = line.split(" ");
                    messages.incrementAndGet();
                    skipPayload = Integer.parseInt(f[f.length - 1]) + 2; // payload and its CRLF
                } else if (line.startsWith("-ERR")) {
                    throw new IOException(line);
                }
            }
            appIn.clear();
        }

        private void in() {
            counted = true;
            deadline = 0;
            long now = System.nanoTime();
            backAt.set(id, now);
            episodes.set(id, 0);
            completions.incrementAndGet(server.get(id) * BUCKETS + bucket(now));
            established.incrementAndGet();
        }

        /** Closes this connection and, as nats.go does, schedules the next attempt. */
        void fail() {
            if (dead) return;
            dead = true;
            deadline = 0;
            failed.incrementAndGet();
            boolean wasIn = counted;
            if (counted) established.decrementAndGet();
            try {
                if (ch != null) ch.close();
            } catch (IOException ignored) {
                // closing anyway
            }
            if (closing) return;
            // nats.go's doReconnect: the pool rotates (the lost server goes last), and the client sleeps
            // ReconnectWait + jitter before an attempt once it has tried every server since its last sleep.
            int tried = wasIn ? 0 : episodes.incrementAndGet(id);
            // nats.go shuffles each client's pool: with three servers a shuffled ring is walked one way or the
            // other, so half the nodes step forwards and half backwards, and a lost broker's nodes spread over the others.
            int step = id % 2 == 0 || brokers.size() < 3 ? 1 : brokers.size() - 1;
            server.set(id, (server.get(id) + step) % brokers.size());
            boolean sleep = (tried + 1) % brokers.size() == 0;
            if (!sleep) {
                attempt(id);
                return;
            }
            long wait = settings.reconnectWait().toNanos();
            long jitter = settings.jitter().toNanos();
            if (jitter > 0) wait += ThreadLocalRandom.current().nextLong(jitter);
            try {
                timer.schedule(() -> attempt(id), wait, TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.RejectedExecutionException closed) {
                // the swarm is closing
            }
        }
    }

    private static ByteBuffer grow(ByteBuffer b, int size) {
        ByteBuffer bigger = ByteBuffer.allocate(Math.max(size, b.capacity() * 2));
        b.flip();
        bigger.put(b);
        return bigger;
    }

}

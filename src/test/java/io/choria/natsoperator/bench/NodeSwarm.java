package io.choria.natsoperator.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;

/**
 * Many Choria-like nodes in one process with a handful of threads: non-blocking sockets and an
 * SSLEngine per connection, speaking just enough NATS (INFO, TLS upgrade, CONNECT, SUB, PING/PONG,
 * MSG counting). jnats parks about five threads per connection; this holds 10,000 TLS
 * connections with {@code loops} threads, so a broker's memory at fleet size can be measured on
 * a small machine. Each node subscribes as a Choria node does: 5 broadcast agent subjects and its
 * own reply subject. No reconnect logic: it measures steady state.
 */
final class NodeSwarm implements AutoCloseable {
    private final InetSocketAddress broker;
    private final SSLContext tls;
    private final List<String> agents;
    private final Loop[] loops;
    final AtomicInteger established = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();
    final AtomicLong messages = new AtomicLong();

    NodeSwarm(InetSocketAddress broker, SSLContext tls, List<String> agents, int threads) throws IOException {
        this.broker = broker;
        this.tls = tls;
        this.agents = agents;
        this.loops = new Loop[threads];
        for (int i = 0; i < threads; i++) {
            loops[i] = new Loop(Selector.open());
            Thread t = new Thread(loops[i], "swarm-" + i);
            t.setDaemon(true);
            t.start();
        }
    }

    /** Starts node {@code id}'s connection; it completes in the background (see {@link #established}). */
    void connect(int id) throws IOException {
        SocketChannel ch = SocketChannel.open();
        ch.configureBlocking(false);
        ch.connect(broker);
        Loop loop = loops[id % loops.length];
        loop.pending.add(new Node(id, ch, loop));
        loop.selector.wakeup();
    }

    @Override
    public void close() {
        for (Loop l : loops) l.stop();
    }

    private final class Loop implements Runnable {
        final Selector selector;
        final ConcurrentLinkedQueue<Node> pending = new ConcurrentLinkedQueue<>();
        volatile boolean running = true;

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
                    selector.select(1000);
                    for (Node n; (n = pending.poll()) != null; ) n.key = n.ch.register(selector, SelectionKey.OP_CONNECT, n);
                    for (var it = selector.selectedKeys().iterator(); it.hasNext(); ) {
                        SelectionKey k = it.next();
                        it.remove();
                        Node n = (Node) k.attachment();
                        try {
                            n.ready(k);
                        } catch (IOException | RuntimeException e) {
                            n.fail();
                        }
                    }
                }
                for (SelectionKey k : selector.keys()) k.channel().close();
                selector.close();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    private final class Node {
        final int id;
        final SocketChannel ch;
        final Loop loop;
        SelectionKey key;
        SSLEngine engine;
        ByteBuffer netIn = ByteBuffer.allocate(4096);
        ByteBuffer netOut;
        ByteBuffer appIn;
        final StringBuilder lines = new StringBuilder();
        boolean tlsUp;
        boolean counted;
        int skipPayload = -1;

        Node(int id, SocketChannel ch, Loop loop) {
            this.id = id;
            this.ch = ch;
            this.loop = loop;
        }

        void ready(SelectionKey k) throws IOException {
            if (k.isConnectable()) {
                ch.finishConnect();
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
            engine = tls.createSSLEngine(broker.getHostString(), broker.getPort());
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
                    if (!counted) {
                        counted = true;
                        established.incrementAndGet();
                    }
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

        void fail() {
            failed.incrementAndGet();
            if (counted) established.decrementAndGet();
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing anyway
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

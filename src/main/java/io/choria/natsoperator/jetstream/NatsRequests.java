package io.choria.natsoperator.jetstream;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * One NATS connection that sends requests and reads their replies: just enough of the protocol for the JetStream API
 * ({@code $JS.API.*}) and the system account's requests ({@code $SYS.REQ.*}). Not jnats: it is a test dependency here, and
 * it would bring a second BouncyCastle (bcprov-lts8on) beside the operator's own; a request client is a page.
 *
 * <p>Bounded like {@code mesh.MonitorClient}: every read has a deadline, a protocol line is at most
 * {@link #MAX_LINE} bytes and a message {@link #MAX_PAYLOAD}, so a broker (or whatever answers on its address) cannot
 * hold a thread or fill the heap. The server's name is checked against {@code serverName} (the broker's DNS name in its
 * certificate), not against the address dialled. Not thread-safe: one owner, then {@link #close}.
 */
public final class NatsRequests implements AutoCloseable {
    static final int MAX_LINE = 64 * 1024;
    /** 8 MiB: a stream list or JSZ of a busy broker is a few hundred KiB. */
    static final int MAX_PAYLOAD = 8 << 20;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A reply: its payload, and the status of a header-only reply (503: no one answers the subject), else 0. */
    public record Reply(byte[] payload, int status) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String inbox;
    private long nextReply;

    private NatsRequests(Socket socket, InputStream in, OutputStream out) {
        this.socket = socket;
        this.in = in;
        this.out = out;
        this.inbox = "_INBOX." + HexFormat.of().formatHex(randomBytes(12));
    }

    /**
     * Connects, upgrades to TLS when {@code tls} is given (verifying the server as {@code serverName}), authenticates as
     * {@code user}/{@code password} (null: no user, so {@code no_auth_user}'s account) and subscribes to its inbox.
     */
    public static NatsRequests connect(InetSocketAddress address, String serverName, SSLContext tls, String user, String password,
            Duration timeout) throws IOException {
        return connect(address, serverName, tls, user, password, null, timeout);
    }

    /**
     * The same, authenticating with {@code nkey} (its public key and the server's nonce signed): what nats-server checks before
     * it maps a certificate to a user (spec.authorization), so the operator keeps its own identity beside the nodes'.
     */
    public static NatsRequests connect(InetSocketAddress address, String serverName, SSLContext tls, io.choria.natsoperator.pki.NKeys nkey,
            Duration timeout) throws IOException {
        return connect(address, serverName, tls, null, null, nkey, timeout);
    }

    private static NatsRequests connect(InetSocketAddress address, String serverName, SSLContext tls, String user, String password,
            io.choria.natsoperator.pki.NKeys nkey, Duration timeout) throws IOException {
        Socket raw = new Socket();
        try {
            raw.connect(address, (int) timeout.toMillis());
            raw.setSoTimeout((int) timeout.toMillis());
            raw.setTcpNoDelay(true);
            InputStream rawIn = new BufferedInputStream(raw.getInputStream());
            String info = readLine(rawIn);
            if (!info.startsWith("INFO ")) throw new IOException("not a NATS server: " + abbreviated(info));
            Socket s = raw;
            InputStream in = rawIn;
            if (tls != null) {
                // nats-server (2.9, 2.10) sends INFO in the clear and then expects the client's TLS handshake.
                SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket(raw, serverName, address.getPort(), true);
                SSLParameters params = ssl.getSSLParameters();
                params.setEndpointIdentificationAlgorithm("HTTPS");
                ssl.setSSLParameters(params);
                ssl.setUseClientMode(true);
                ssl.startHandshake();
                s = ssl;
                in = new BufferedInputStream(ssl.getInputStream());
            }
            NatsRequests c = new NatsRequests(s, in, s.getOutputStream());
            c.handshake(tls != null, user, password, nkey, info);
            return c;
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    private static final java.util.regex.Pattern NONCE = java.util.regex.Pattern.compile("\"nonce\"\\s*:\\s*\"([^\"]+)\"");

    private void handshake(boolean tls, String user, String password, io.choria.natsoperator.pki.NKeys nkey, String info) throws IOException {
        StringBuilder connect = new StringBuilder("CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"nats-operator\",\"lang\":\"java\","
                + "\"version\":\"1\",\"protocol\":1,\"headers\":true,\"no_responders\":true,\"tls_required\":").append(tls);
        if (user != null) connect.append(",\"user\":").append(jsonString(user)).append(",\"pass\":").append(jsonString(password));
        if (nkey != null) {
            // The nonce of this connection's INFO: nats-server sends one whenever it has nkey users.
            java.util.regex.Matcher m = NONCE.matcher(info);
            if (!m.find()) throw new IOException("the server sent no nonce: it has no nkey users");
            connect.append(",\"nkey\":").append(jsonString(nkey.publicKey())).append(",\"sig\":").append(jsonString(nkey.sign(m.group(1))));
        }
        connect.append("}\r\nPING\r\n");
        write(connect.toString().getBytes(StandardCharsets.UTF_8));
        while (true) {
            String line = readLine(in);
            if (line.startsWith("PONG")) break;
            if (line.startsWith("PING")) write("PONG\r\n".getBytes(StandardCharsets.US_ASCII));
            else if (line.startsWith("-ERR")) throw new IOException("refused: " + abbreviated(line));
        }
        write(("SUB " + inbox + ".* 1\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** One request, its first reply; a 503 reply means no one serves the subject. */
    public Reply request(String subject, String payload, Duration timeout) throws IOException {
        List<Reply> replies = requestAll(subject, payload, timeout, 1);
        if (replies.isEmpty()) throw new SocketTimeoutException("no reply to " + subject + " within " + timeout);
        return replies.get(0);
    }

    /** One request, every reply that arrives within {@code window} (at most {@code max}): the servers' answers to a PING. */
    public List<Reply> requestAll(String subject, String payload, Duration window, int max) throws IOException {
        String reply = inbox + "." + (nextReply++);
        byte[] body = payload.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream pub = new ByteArrayOutputStream();
        pub.writeBytes(("PUB " + subject + " " + reply + " " + body.length + "\r\n").getBytes(StandardCharsets.UTF_8));
        pub.writeBytes(body);
        pub.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        write(pub.toByteArray());
        List<Reply> replies = new ArrayList<>();
        long deadline = System.nanoTime() + window.toNanos();
        while (replies.size() < max) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) break;
            socket.setSoTimeout((int) Math.max(1, left));
            String line;
            try {
                line = readLine(in);
            } catch (SocketTimeoutException e) {
                break;
            }
            if (line.startsWith("PING")) {
                write("PONG\r\n".getBytes(StandardCharsets.US_ASCII));
            } else if (line.startsWith("-ERR")) {
                throw new IOException("server error: " + abbreviated(line));
            } else if (line.startsWith("MSG ") || line.startsWith("HMSG ")) {
                Reply r = readMessage(line);
                if (r != null && line.split(" ")[1].equals(reply)) replies.add(r);
            }
        }
        return replies;
    }

    /** MSG subject sid [reply] size / HMSG subject sid [reply] hdrsize totalsize, then the bytes and CRLF. */
    private Reply readMessage(String line) throws IOException {
        String[] f = line.split(" ");
        boolean headers = f[0].equals("HMSG");
        int total = Integer.parseInt(f[f.length - 1]);
        int headerSize = headers ? Integer.parseInt(f[f.length - 2]) : 0;
        if (total < 0 || total > MAX_PAYLOAD || headerSize < 0 || headerSize > total) throw new IOException("message of " + total + " bytes refused");
        byte[] all = in.readNBytes(total + 2);
        if (all.length < total + 2) throw new IOException("connection closed in a message");
        int status = 0;
        if (headers) {
            String head = new String(all, 0, headerSize, StandardCharsets.UTF_8);
            // "NATS/1.0 503" (no responders) or "NATS/1.0" followed by headers
            String first = head.lines().findFirst().orElse("");
            String[] parts = first.split(" ");
            if (parts.length > 1 && parts[1].matches("[0-9]{3}")) status = Integer.parseInt(parts[1]);
        }
        byte[] payload = java.util.Arrays.copyOfRange(all, headerSize, total);
        return new Reply(payload, status);
    }

    private void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** A protocol line without its CRLF; at most MAX_LINE bytes. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        while (true) {
            int c = in.read();
            if (c < 0) throw new IOException("connection closed");
            if (c == '\n') break;
            if (b.size() >= MAX_LINE) throw new IOException("protocol line longer than " + MAX_LINE + " bytes");
            b.write(c);
        }
        String line = b.toString(StandardCharsets.UTF_8);
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    private static String abbreviated(String line) {
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') b.append('\\').append(ch);
            else if (ch < 0x20) b.append(String.format("\\u%04x", (int) ch));
            else b.append(ch);
        }
        return b.append('"').toString();
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}

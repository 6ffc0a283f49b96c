package io.choria.natsoperator.bench;

import java.time.Duration;

/**
 * The nodes of a reconnect storm, whichever generator makes them: {@link NodeSwarm} (one JVM,
 * nats.go's reconnect rules re-implemented on NIO) or {@link GoNodes} (the real nats.go, configured
 * as go-choria configures it). ReconnectStormBench measures both the same way.
 */
interface StormNodes extends AutoCloseable {

    /** What a storm did to the nodes: attempts since {@link #resetAttempts()}, times from {@link #mark()}. Times in seconds after the mark; -1: not reached. */
    record Result(int back, double p50S, double p90S, double allBackS, int over3, int maxAttempts, long attempts) {}

    /** Connects nodes 0..n-1 with at most {@code inFlight} attempts outstanding; the seconds it took. */
    double connectSteadily(int n, int inFlight, Duration bound) throws Exception;

    /** Nodes connected now. */
    int established();

    /** Zeroes every node's attempt count (before the broker goes: a node counts an attempt as its wait before it starts). */
    void resetAttempts() throws Exception;

    /** Takes time zero of the storm (just before the broker restarts). */
    void mark() throws Exception;

    /** The storm since {@link #mark()} for {@code n} nodes. */
    Result result(int n) throws Exception;

    /** CPU time the generator has used (the nodes' side of every handshake). */
    long cpuNanos();

    @Override
    void close();
}

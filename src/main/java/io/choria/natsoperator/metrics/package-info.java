/**
 * The per-cluster gauges on the operator's /metrics, made from the status and the last
 * observations. May use: {@code api}, {@code model}, {@code mesh}, {@code status}.
 */
package io.choria.natsoperator.metrics;

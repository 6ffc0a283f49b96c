/**
 * Asking the brokers: monitoring-port clients with deadlines and caps, the checks of routes,
 * gateways and leaf connections, and the {@link io.choria.natsoperator.mesh.MeshPoller} that asks
 * them beside the reconcile (with Streams, JetStream too, through {@code jetstream}). May use: {@code api}, {@code pki},
 * {@code model}, {@code jetstream}.
 */
package io.choria.natsoperator.mesh;

/**
 * {@code nats-operator local}: the operator against an embedded mock API server, with the brokers
 * run as host processes from their pod specs. Shipped in nats-operator-local.jar only, never in
 * the operator image. May use every package below it.
 */
package io.choria.natsoperator.local;

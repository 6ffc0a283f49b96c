/**
 * What one reconcile saw ({@link io.choria.natsoperator.status.Observation}) and the pure step
 * that turns it into the NatsCluster's conditions. No I/O. May use: {@code api}, {@code pki},
 * {@code model}, {@code inputs}, {@code mesh}.
 */
package io.choria.natsoperator.status;

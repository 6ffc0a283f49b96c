/**
 * Choria Streams in the brokers, over the NATS protocol: a small request client ({@link
 * io.choria.natsoperator.jetstream.NatsRequests}) and what keeps Choria's streams as the spec wants them
 * ({@link io.choria.natsoperator.jetstream.StreamKeeper}). Uses api, pki and model only, as mesh does for the
 * monitoring port.
 */
package io.choria.natsoperator.jetstream;

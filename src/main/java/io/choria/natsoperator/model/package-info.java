/**
 * Pure functions from a spec and its gathered inputs to the desired Kubernetes objects and the
 * broker config (Strimzi-style builders: StatefulSet, Services, Secrets, nats.conf). No I/O.
 * May use: {@code api}, {@code pki}.
 */
package io.choria.natsoperator.model;

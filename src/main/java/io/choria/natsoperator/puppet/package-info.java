/**
 * The Puppet CA: its HTTP API client (one deadline per request, streamed and capped answers),
 * enrolment of the brokers' key, the inventory sync beside the reconcile and the pinned-key lists
 * cut from it. May use: {@code api}, {@code pki}, {@code model}.
 */
package io.choria.natsoperator.puppet;

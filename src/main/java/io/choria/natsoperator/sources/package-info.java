/**
 * Event sources and state kept beside the reconcile: informers on the objects NatsClusters name
 * (their Secrets, referenced clusters), the brokers' observations, and the revocation lists kept
 * in step with the Puppet inventory. The reconcile reads their latest result; a change triggers a
 * reconcile. May use every package below the reconciler: {@code api}, {@code pki}, {@code model},
 * {@code inputs}, {@code mesh}, {@code puppet}, {@code status}, {@code metrics}.
 */
package io.choria.natsoperator.sources;

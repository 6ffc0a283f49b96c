/**
 * The one input-gathering step shared by {@code render} and the reconcile: the user's Secrets,
 * referenced NatsClusters, route passwords and broker certificates, read through an interface that
 * each side implements (files for render, caches for the operator). May use: {@code api},
 * {@code pki}, {@code model}.
 */
package io.choria.natsoperator.inputs;

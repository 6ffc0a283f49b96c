/**
 * Certificates and keys: the CA, broker certificates, CSRs, PEM, trust bundles, renewal. Pure
 * (BouncyCastle, no network, no Kubernetes client). May use: {@code api}.
 */
package io.choria.natsoperator.pki;

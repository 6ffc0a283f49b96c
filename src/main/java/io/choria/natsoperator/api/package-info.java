/**
 * The NatsCluster custom resource as Java types (spec, status, reasons): what the CRD is generated
 * from. Uses nothing of the operator; everything else may use it.
 */
package io.choria.natsoperator.api;

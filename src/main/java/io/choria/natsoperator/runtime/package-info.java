/**
 * The operator process: composition root ({@link io.choria.natsoperator.runtime.OperatorAssembly}),
 * configuration from the environment, health and metrics endpoints, leader election. May use every
 * package below it.
 */
package io.choria.natsoperator.runtime;

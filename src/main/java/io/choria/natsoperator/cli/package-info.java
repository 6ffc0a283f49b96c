/**
 * The command line: {@code run}, {@code render} and {@code local} (the latter loaded by name, so
 * the operator jar runs without it). May use every package.
 */
package io.choria.natsoperator.cli;

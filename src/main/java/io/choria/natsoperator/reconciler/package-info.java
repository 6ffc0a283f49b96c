/**
 * The NatsCluster reconciler: one pass gathers inputs, builds the desired objects with
 * {@code model}, applies them in order ({@code reconciler.dependent}), and writes status from what
 * it saw. May use every package below it: {@code api}, {@code pki}, {@code model}, {@code inputs},
 * {@code mesh}, {@code puppet}, {@code status}, {@code metrics}, {@code sources}.
 */
package io.choria.natsoperator.reconciler;

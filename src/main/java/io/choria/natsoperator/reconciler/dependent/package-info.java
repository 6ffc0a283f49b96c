/**
 * The owned objects as java-operator-sdk dependent resources: one small class per kind, and the
 * apply order in one place ({@link io.choria.natsoperator.reconciler.dependent.Dependents}). Part
 * of the reconciler layer.
 */
package io.choria.natsoperator.reconciler.dependent;

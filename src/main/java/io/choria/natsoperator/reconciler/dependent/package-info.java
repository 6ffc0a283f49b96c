/**
 * The owned objects as java-operator-sdk dependent resources: one small class per kind, listed in
 * {@link io.choria.natsoperator.reconciler.dependent.Dependents}, and {@link
 * io.choria.natsoperator.reconciler.dependent.OwnedObjects}, which writes them in the model's one apply order
 * ({@code DesiredCluster.inApplyOrder}). Part of the reconciler layer.
 */
package io.choria.natsoperator.reconciler.dependent;

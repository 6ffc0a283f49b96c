package io.choria.natsoperator.model;

import io.choria.natsoperator.api.LimitsSpec;
import io.choria.natsoperator.api.NatsCluster;
import io.choria.natsoperator.api.NatsClusterSpec;
import io.choria.natsoperator.api.PodSpec;
import io.choria.natsoperator.api.PortsSpec;
import io.choria.natsoperator.api.RoutesSpec;
import io.choria.natsoperator.api.ServiceSpec;
import io.choria.natsoperator.api.SysctlsSpec;
import io.choria.natsoperator.api.TlsSpec;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Fills every default the API server would fill from the CRD schema, on a copy, so the model
 * sees the same spec whether it came through the API server or from a file given to
 * {@code render}. Never changes the caller's object.
 */
public final class SpecDefaults {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private SpecDefaults() {}

    private static io.choria.natsoperator.api.AuthorizationSpec.RolePermissions rolePermissions(
            io.choria.natsoperator.api.AuthorizationSpec.RolePermissions p) {
        p = orNew(p, io.choria.natsoperator.api.AuthorizationSpec.RolePermissions::new);
        if (p.getPublish() == null) p.setPublish(new ArrayList<>());
        if (p.getSubscribe() == null) p.setSubscribe(new ArrayList<>());
        return p;
    }

    public static NatsCluster withDefaults(NatsCluster original) {
        NatsCluster nc = SERIALIZATION.clone(original);
        if (nc.getSpec() == null) nc.setSpec(new NatsClusterSpec());
        NatsClusterSpec s = nc.getSpec();
        NatsClusterSpec d = new NatsClusterSpec();
        if (s.getSize() == null) s.setSize(d.getSize());
        if (s.getImage() == null || s.getImage().isBlank()) s.setImage(d.getImage());
        s.setPorts(orNew(s.getPorts(), PortsSpec::new));
        PortsSpec p = s.getPorts(), dp = new PortsSpec();
        fill(p.getClient(), p::setClient, dp.getClient());
        fill(p.getCluster(), p::setCluster, dp.getCluster());
        fill(p.getMonitor(), p::setMonitor, dp.getMonitor());
        s.setRoutes(orNew(s.getRoutes(), RoutesSpec::new));
        s.setSysctls(orNew(s.getSysctls(), SysctlsSpec::new));
        SysctlsSpec y = s.getSysctls(), dy = new SysctlsSpec();
        fill(y.getMode(), y::setMode, dy.getMode());
        fill(y.getSomaxconn(), y::setSomaxconn, dy.getSomaxconn());
        fill(y.getTcpMaxSynBacklog(), y::setTcpMaxSynBacklog, dy.getTcpMaxSynBacklog());
        s.setLimits(orNew(s.getLimits(), LimitsSpec::new));
        LimitsSpec l = s.getLimits(), dl = new LimitsSpec();
        fill(l.getMaxConnections(), l::setMaxConnections, dl.getMaxConnections());
        fill(l.getWriteDeadline(), l::setWriteDeadline, dl.getWriteDeadline());
        fill(l.getLameDuckDuration(), l::setLameDuckDuration, dl.getLameDuckDuration());
        s.setPod(orNew(s.getPod(), PodSpec::new));
        PodSpec pod = s.getPod();
        if (pod.getNodeSelector() == null) pod.setNodeSelector(new LinkedHashMap<>());
        if (pod.getTolerations() == null) pod.setTolerations(new ArrayList<>());
        if (pod.getTopologySpreadConstraints() == null) pod.setTopologySpreadConstraints(new ArrayList<>());
        if (pod.getLabels() == null) pod.setLabels(new LinkedHashMap<>());
        if (pod.getAnnotations() == null) pod.setAnnotations(new LinkedHashMap<>());
        s.setService(orNew(s.getService(), ServiceSpec::new));
        if (s.getService().getType() == null) s.getService().setType(ServiceSpec.Type.ClusterIP);
        if (s.getService().getAnnotations() == null) s.getService().setAnnotations(new LinkedHashMap<>());
        if (s.getService().getPuppetAlias() == null) s.getService().setPuppetAlias(false);
        s.setNetworkPolicy(orNew(s.getNetworkPolicy(), io.choria.natsoperator.api.NetworkPolicySpec::new));
        if (s.getNetworkPolicy().getEnabled() == null) s.getNetworkPolicy().setEnabled(true);
        if (s.getNetworkPolicy().getClientCIDRs() == null) s.getNetworkPolicy().setClientCIDRs(new ArrayList<>());
        if ((s.getClusterName() == null || s.getClusterName().isEmpty()) && nc.getMetadata() != null) {
            s.setClusterName(nc.getMetadata().getName());
        }
        if (s.getServerNamePrefix() == null) s.setServerNamePrefix("");
        var gw = s.getGateway();
        if (gw != null) {
            var dg = new io.choria.natsoperator.api.GatewaySpec();
            fill(gw.getPort(), gw::setPort, dg.getPort());
            fill(gw.getServiceType(), gw::setServiceType, dg.getServiceType());
            if (gw.getServiceAnnotations() == null) gw.setServiceAnnotations(new LinkedHashMap<>());
            if (gw.getRemotes() == null) gw.setRemotes(new ArrayList<>());
            for (var r : gw.getRemotes()) if (r.getUrls() == null) r.setUrls(new ArrayList<>());
        }
        var leaf = s.getLeafnodes();
        if (leaf != null) {
            var dleaf = new io.choria.natsoperator.api.LeafNodesSpec();
            fill(leaf.getAccept(), leaf::setAccept, dleaf.getAccept());
            fill(leaf.getPort(), leaf::setPort, dleaf.getPort());
            fill(leaf.getServiceType(), leaf::setServiceType, dleaf.getServiceType());
            if (leaf.getServiceAnnotations() == null) leaf.setServiceAnnotations(new LinkedHashMap<>());
            if (leaf.getRemotes() == null) leaf.setRemotes(new ArrayList<>());
            for (var r : leaf.getRemotes()) if (r.getUrls() == null) r.setUrls(new ArrayList<>());
        }
        var streams = s.getStreams();
        if (streams != null) {
            var ds = new io.choria.natsoperator.api.StreamsSpec();
            streams.setStorage(orNew(streams.getStorage(), io.choria.natsoperator.api.StreamsSpec.StorageSpec::new));
            fill(streams.getStorage().getSize(), streams.getStorage()::setSize, ds.getStorage().getSize());
            fill(streams.getMemoryStore(), streams::setMemoryStore, ds.getMemoryStore());
            fill(streams.getManage(), streams::setManage, ds.getManage());
            // Not a schema default: it follows spec.size.
            fill(streams.getReplicas(), streams::setReplicas, Math.min(3, s.getSize()));
            streams.setRetention(orNew(streams.getRetention(), io.choria.natsoperator.api.StreamsSpec.StreamRetentionSpec::new));
            var r = streams.getRetention();
            var dr = ds.getRetention();
            fill(r.getEvents(), r::setEvents, dr.getEvents());
            fill(r.getMachine(), r::setMachine, dr.getMachine());
            fill(r.getAdvisories(), r::setAdvisories, dr.getAdvisories());
            fill(r.getExecutor(), r::setExecutor, dr.getExecutor());
            fill(streams.getLeaderElectionTtl(), streams::setLeaderElectionTtl, ds.getLeaderElectionTtl());
        }
        var authz = s.getAuthorization();
        if (authz != null) {
            // An empty list of client patterns is the user's word (every certname a node); an absent one is Choria's default.
            fill(authz.getCollectives(), authz::setCollectives, new ArrayList<>(io.choria.natsoperator.api.AuthorizationSpec.DEFAULT_COLLECTIVES));
            fill(authz.getClientCertnames(), authz::setClientCertnames, new ArrayList<>(io.choria.natsoperator.api.AuthorizationSpec.DEFAULT_CLIENT_CERTNAMES));
            fill(authz.getPrivilegedCertnames(), authz::setPrivilegedCertnames,
                    new ArrayList<>(io.choria.natsoperator.api.AuthorizationSpec.DEFAULT_PRIVILEGED_CERTNAMES));
            authz.setNodes(rolePermissions(authz.getNodes()));
            authz.setClients(rolePermissions(authz.getClients()));
            authz.setPrivileged(rolePermissions(authz.getPrivileged()));
        }
        if (s.getInsecurePlaintext() == null) s.setInsecurePlaintext(false);
        var capacity = s.getCapacity();
        if (capacity != null && capacity.getWarnPercent() == null) capacity.setWarnPercent(new io.choria.natsoperator.api.CapacitySpec().getWarnPercent());
        s.setMonitoring(orNew(s.getMonitoring(), io.choria.natsoperator.api.MonitoringSpec::new));
        var mon = s.getMonitoring();
        mon.setExporter(orNew(mon.getExporter(), io.choria.natsoperator.api.MonitoringSpec.Exporter::new));
        var ex = mon.getExporter();
        var dex = new io.choria.natsoperator.api.MonitoringSpec.Exporter();
        fill(ex.getEnabled(), ex::setEnabled, dex.getEnabled());
        if (ex.getImage() == null || ex.getImage().isBlank()) ex.setImage(dex.getImage());
        fill(ex.getPort(), ex::setPort, dex.getPort());
        mon.setPodMonitor(orNew(mon.getPodMonitor(), io.choria.natsoperator.api.MonitoringSpec.PodMonitor::new));
        var pm = mon.getPodMonitor();
        var dpm = new io.choria.natsoperator.api.MonitoringSpec.PodMonitor();
        fill(pm.getEnabled(), pm::setEnabled, dpm.getEnabled());
        fill(pm.getInterval(), pm::setInterval, dpm.getInterval());
        if (pm.getLabels() == null) pm.setLabels(new LinkedHashMap<>());
        TlsSpec t = s.getTls();
        if (t != null) {
            TlsSpec dt = new TlsSpec();
            fill(t.getVerifyClients(), t::setVerifyClients, dt.getVerifyClients());
            fill(t.getKeyAlgorithm(), t::setKeyAlgorithm, dt.getKeyAlgorithm());
            fill(t.getValidityDays(), t::setValidityDays, dt.getValidityDays());
            fill(t.getRenewBeforeDays(), t::setRenewBeforeDays, dt.getRenewBeforeDays());
            fill(t.getHandshakeTimeoutSeconds(), t::setHandshakeTimeoutSeconds, dt.getHandshakeTimeoutSeconds());
            if (t.getExtraSANs() == null) t.setExtraSANs(new ArrayList<>());
            var enrol = t.getPuppet();
            if (enrol != null) {
                var defaults = new io.choria.natsoperator.api.PuppetEnrolmentSpec();
                fill(enrol.getEnforceRevocation(), enrol::setEnforceRevocation, defaults.getEnforceRevocation());
                fill(enrol.getSyncIntervalSeconds(), enrol::setSyncIntervalSeconds, defaults.getSyncIntervalSeconds());
                // Not a schema default: it follows the sync interval.
                fill(enrol.getMaxSyncAgeSeconds(), enrol::setMaxSyncAgeSeconds,
                        io.choria.natsoperator.api.PuppetEnrolmentSpec.defaultMaxSyncAgeSeconds(enrol.getSyncIntervalSeconds()));
                var bundle = enrol.getCaBundleSecretRef();
                if (bundle != null && bundle.getKey() == null) bundle.setKey("ca.crt");
            }
        }
        return nc;
    }

    private static <T> T orNew(T value, Supplier<T> fresh) {
        return value != null ? value : fresh.get();
    }

    private static <T> void fill(T value, Consumer<T> setter, T fallback) {
        if (value == null) setter.accept(fallback);
    }
}

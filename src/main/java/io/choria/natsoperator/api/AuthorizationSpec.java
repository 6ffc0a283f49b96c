package io.choria.natsoperator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import java.util.ArrayList;
import java.util.List;

/**
 * Each Puppet node on its own subjects: one NATS user per certname the Puppet CA lists as signed (tls
 * {@code verify_and_map}), with the permissions of its role (docs/PERMISSIONS-FACTS.md; model.ChoriaPermissions). Off when
 * absent. Needs spec.tls.puppet with enforceRevocation: the users come from the inventory the operator syncs.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class AuthorizationSpec {
    /** A collective's name: one subject token (go-choria's collectives are plain words). */
    public static final String COLLECTIVE_PATTERN = "^[A-Za-z0-9_-]{1,64}$";
    /** A subject the spec adds: printable, no whitespace (nats.conf and subjects both end there). */
    public static final String SUBJECT_PATTERN = "^[!-~]{1,255}$";
    public static final List<String> DEFAULT_COLLECTIVES = List.of("mcollective");
    /** go-choria's plugin.choria.security.certname_whitelist default (config/choria.go:119). */
    public static final List<String> DEFAULT_CLIENT_CERTNAMES = List.of("\\.mcollective$", "\\.choria$");
    /** go-choria's plugin.choria.security.privileged_users default (config/choria.go:118), dots escaped. */
    public static final List<String> DEFAULT_PRIVILEGED_CERTNAMES = List.of("\\.privileged\\.mcollective$", "\\.privileged\\.choria$");

    @Size(min = 1, max = 32)
    @JsonPropertyDescription("The collectives of the fleet (Choria's `collectives`; the first is main_collective). Default [mcollective].")
    private List<@io.fabric8.generator.annotation.Pattern(COLLECTIVE_PATTERN) String> collectives = new ArrayList<>(DEFAULT_COLLECTIVES);

    @Size(max = 32)
    @JsonPropertyDescription("Certnames that are Choria clients (Java regular expressions, found anywhere in the certname, as Choria's"
            + " plugin.choria.security.certname_whitelist). Default ['\\.mcollective$', '\\.choria$']. Every other certname is a node.")
    private List<String> clientCertnames = new ArrayList<>(DEFAULT_CLIENT_CERTNAMES);

    @Size(max = 32)
    @JsonPropertyDescription("Certnames that are privileged clients (as Choria's plugin.choria.security.privileged_users): they may send"
            + " requests as any caller, so they read every reply. Default ['\\.privileged\\.mcollective$', '\\.privileged\\.choria$'].")
    private List<String> privilegedCertnames = new ArrayList<>(DEFAULT_PRIVILEGED_CERTNAMES);

    @JsonPropertyDescription("Subjects added to every node's permissions (e.g. mcollective.reply.> for nodes that make NATS requests).")
    private RolePermissions nodes = new RolePermissions();

    @JsonPropertyDescription("Subjects added to every client's permissions.")
    private RolePermissions clients = new RolePermissions();

    @JsonPropertyDescription("Subjects added to every privileged client's permissions.")
    private RolePermissions privileged = new RolePermissions();

    public List<String> getCollectives() { return collectives; }
    public void setCollectives(List<String> collectives) { this.collectives = collectives; }
    public List<String> getClientCertnames() { return clientCertnames; }
    public void setClientCertnames(List<String> clientCertnames) { this.clientCertnames = clientCertnames; }
    public List<String> getPrivilegedCertnames() { return privilegedCertnames; }
    public void setPrivilegedCertnames(List<String> privilegedCertnames) { this.privilegedCertnames = privilegedCertnames; }
    public RolePermissions getNodes() { return nodes; }
    public void setNodes(RolePermissions nodes) { this.nodes = nodes; }
    public RolePermissions getClients() { return clients; }
    public void setClients(RolePermissions clients) { this.clients = clients; }
    public RolePermissions getPrivileged() { return privileged; }
    public void setPrivileged(RolePermissions privileged) { this.privileged = privileged; }

    /** Subjects a role may publish and subscribe to beyond Choria's own. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class RolePermissions {
        @Size(max = 64)
        @JsonPropertyDescription("Further subjects this role may publish to (NATS wildcards * and > allowed).")
        private List<@io.fabric8.generator.annotation.Pattern(SUBJECT_PATTERN) String> publish = new ArrayList<>();

        @Size(max = 64)
        @JsonPropertyDescription("Further subjects this role may subscribe to (NATS wildcards * and > allowed).")
        private List<@io.fabric8.generator.annotation.Pattern(SUBJECT_PATTERN) String> subscribe = new ArrayList<>();

        public List<String> getPublish() { return publish; }
        public void setPublish(List<String> publish) { this.publish = publish; }
        public List<String> getSubscribe() { return subscribe; }
        public void setSubscribe(List<String> subscribe) { this.subscribe = subscribe; }
    }
}

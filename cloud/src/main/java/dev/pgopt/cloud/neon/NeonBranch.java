package dev.pgopt.cloud.neon;

import java.time.Instant;

/**
 * A branch as the API lists it.
 *
 * @param logicalSizeBytes the data's logical size; a child branch is billed for what differs from its parent, so this
 *     is an upper bound of what deleting it saves
 */
public record NeonBranch(String id, String name, String parentId, Instant createdAt, Instant updatedAt,
                         long logicalSizeBytes, boolean isDefault, boolean isProtected, String state) {}

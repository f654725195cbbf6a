-- Foreign keys of the sample dataset, added after loading. None of the referencing columns is indexed: that is
-- deliberate (see docs/sample-dataset.md).
ALTER TABLE repositories ADD FOREIGN KEY (owner_id) REFERENCES users (id);
ALTER TABLE opportunities ADD FOREIGN KEY (repository_id) REFERENCES repositories (id);
ALTER TABLE projects ADD FOREIGN KEY (owner_id) REFERENCES users (id);
ALTER TABLE messages ADD FOREIGN KEY (project_id) REFERENCES projects (id);
ALTER TABLE messages ADD FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE token_usage ADD FOREIGN KEY (user_id) REFERENCES users (id);

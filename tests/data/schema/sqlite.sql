-- index ix_article_canonical_page_url on article
CREATE INDEX ix_article_canonical_page_url ON article (canonical_page_url);

-- index ix_article_signature_cluster on article_signature
CREATE INDEX ix_article_signature_cluster ON article_signature (cluster_id);

-- index ix_article_site on article
CREATE INDEX ix_article_site ON article (site_name);

-- index ix_article_status_annotator on article_status
CREATE INDEX ix_article_status_annotator ON article_status (annotator, status, article_id);

-- index ix_article_status_id on article
CREATE INDEX ix_article_status_id ON article (status, id);

-- index ix_article_status_title on article
CREATE INDEX ix_article_status_title ON article (status, title, id);

-- index ix_article_status_updated on article
CREATE INDEX ix_article_status_updated ON article (status, updated_at, id);

-- index ix_article_text_chars on article
CREATE INDEX ix_article_text_chars ON article (id, length(text));

-- index ix_article_title on article
CREATE INDEX ix_article_title ON article (title, id);

-- index ix_article_updated_at on article
CREATE INDEX ix_article_updated_at ON article (updated_at, id);

-- index ix_assignment_annotator on assignment
CREATE INDEX ix_assignment_annotator ON assignment (annotator, article_id);

-- index ix_entity_alias_key on entity_alias
CREATE INDEX ix_entity_alias_key ON entity_alias (name_key);

-- index ix_entity_key on entity
CREATE INDEX ix_entity_key ON entity (name_key, label_id);

-- index ix_entity_label on entity
CREATE INDEX ix_entity_label ON entity (label_id, name_key);

-- index ix_import_log_batch on import_log
CREATE INDEX ix_import_log_batch ON import_log (batch, id);

-- index ix_review_rejection_label on review_rejection
CREATE INDEX ix_review_rejection_label ON review_rejection (label_id);

-- index ix_span_annotator on span
CREATE INDEX ix_span_annotator ON span (annotator, article_id);

-- index ix_span_article on span
CREATE INDEX ix_span_article ON span (article_id, start);

-- index ix_span_claim_article on span
CREATE INDEX ix_span_claim_article ON span (article_id, start, "end", label_id, annotator, claim_date, claim_verdict) WHERE claim_date IS NOT NULL;

-- index ix_span_claim_claimant on span
CREATE INDEX ix_span_claim_claimant ON span (claim_claimant, claim_date, id, label_id) WHERE claim_claimant IS NOT NULL;

-- index ix_span_claim_date on span
CREATE INDEX ix_span_claim_date ON span (claim_date, id, label_id) WHERE claim_date IS NOT NULL;

-- index ix_span_claim_site on span
CREATE INDEX ix_span_claim_site ON span (claim_site, claim_date, id, label_id) WHERE claim_site IS NOT NULL;

-- index ix_span_claim_verdict on span
CREATE INDEX ix_span_claim_verdict ON span (claim_verdict, claim_date, id, label_id) WHERE claim_verdict IS NOT NULL;

-- index ix_span_claimant on span
CREATE INDEX ix_span_claimant ON span (claimant_id, article_id);

-- index ix_span_entity on span
CREATE INDEX ix_span_entity ON span (entity_id, article_id);

-- index ix_span_label on span
CREATE INDEX ix_span_label ON span (label_id);

-- index ix_span_suggested on span
CREATE INDEX ix_span_suggested ON span (label_id) WHERE origin = 'suggested';

-- index ix_suggestion_label on suggestion
CREATE INDEX ix_suggestion_label ON suggestion (label_id);

-- index ix_suggestion_rejection_label on suggestion_rejection
CREATE INDEX ix_suggestion_rejection_label ON suggestion_rejection (label_id);

-- table alembic_version on alembic_version
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- table article on article
CREATE TABLE article (
	id INTEGER NOT NULL, 
	uid VARCHAR(40) NOT NULL, 
	url VARCHAR, 
	canonical_url VARCHAR, 
	title VARCHAR DEFAULT '' NOT NULL, 
	author VARCHAR, 
	published VARCHAR, 
	site_name VARCHAR, 
	language VARCHAR, 
	text VARCHAR NOT NULL, 
	text_hash VARCHAR(64) NOT NULL, 
	extractor VARCHAR, 
	extractor_version VARCHAR, 
	source_kind VARCHAR(16) NOT NULL, 
	source VARCHAR, 
	status VARCHAR(16) DEFAULT 'new' NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, canonical_page_url VARCHAR, meta TEXT NOT NULL DEFAULT '{}', 
	PRIMARY KEY (id), 
	CONSTRAINT ck_article_status CHECK (status IN ('new', 'in_progress', 'done', 'skipped')), 
	UNIQUE (uid), 
	UNIQUE (canonical_url), 
	UNIQUE (text_hash)
);

-- table article_fts on article_fts
CREATE VIRTUAL TABLE article_fts USING fts5(title, text, content='article', content_rowid='id', tokenize='unicode61 remove_diacritics 2');

-- table article_fts_config on article_fts_config
CREATE TABLE 'article_fts_config'(k PRIMARY KEY, v) WITHOUT ROWID;

-- table article_fts_data on article_fts_data
CREATE TABLE 'article_fts_data'(id INTEGER PRIMARY KEY, block BLOB);

-- table article_fts_docsize on article_fts_docsize
CREATE TABLE 'article_fts_docsize'(id INTEGER PRIMARY KEY, sz BLOB);

-- table article_fts_idx on article_fts_idx
CREATE TABLE 'article_fts_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

-- table article_signature on article_signature
CREATE TABLE article_signature (
	article_id INTEGER NOT NULL, 
	signature BLOB NOT NULL, 
	cluster_id INTEGER, 
	PRIMARY KEY (article_id), 
	FOREIGN KEY(article_id) REFERENCES article (id) ON DELETE CASCADE
);

-- table article_source on article_source
CREATE TABLE article_source (
	article_id INTEGER NOT NULL, 
	compression VARCHAR(16) DEFAULT 'zlib' NOT NULL, 
	content_type VARCHAR, 
	data BLOB NOT NULL, 
	PRIMARY KEY (article_id), 
	FOREIGN KEY(article_id) REFERENCES article (id) ON DELETE CASCADE
);

-- table article_span_json on article_span_json
CREATE TABLE article_span_json (
	article_id INTEGER NOT NULL, 
	spans TEXT NOT NULL, 
	label_counts TEXT NOT NULL, 
	format INTEGER NOT NULL, 
	PRIMARY KEY (article_id), 
	FOREIGN KEY(article_id) REFERENCES article (id) ON DELETE CASCADE
);

-- table article_status on article_status
CREATE TABLE article_status (
	article_id INTEGER NOT NULL, 
	annotator VARCHAR(128) NOT NULL, 
	status VARCHAR(16) NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (article_id, annotator), 
	FOREIGN KEY(article_id) REFERENCES article (id) ON DELETE CASCADE
);

-- table article_symbols on article_symbols
CREATE VIRTUAL TABLE article_symbols USING fts5(title, text, tokenize='ascii');

-- table article_symbols_config on article_symbols_config
CREATE TABLE 'article_symbols_config'(k PRIMARY KEY, v) WITHOUT ROWID;

-- table article_symbols_content on article_symbols_content
CREATE TABLE 'article_symbols_content'(id INTEGER PRIMARY KEY, c0, c1);

-- table article_symbols_data on article_symbols_data
CREATE TABLE 'article_symbols_data'(id INTEGER PRIMARY KEY, block BLOB);

-- table article_symbols_docsize on article_symbols_docsize
CREATE TABLE 'article_symbols_docsize'(id INTEGER PRIMARY KEY, sz BLOB);

-- table article_symbols_idx on article_symbols_idx
CREATE TABLE 'article_symbols_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

-- table assignment on assignment
CREATE TABLE assignment (
	article_id INTEGER NOT NULL, 
	annotator VARCHAR(128) NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (article_id, annotator), 
	FOREIGN KEY(article_id) REFERENCES article (id) ON DELETE CASCADE
);

-- table entity on entity
CREATE TABLE entity (
	id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
	label_id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	name_key VARCHAR NOT NULL, 
	external_id VARCHAR DEFAULT '' NOT NULL, 
	note VARCHAR DEFAULT '' NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	FOREIGN KEY(label_id) REFERENCES label (id) ON DELETE CASCADE
);

-- table entity_alias on entity_alias
CREATE TABLE entity_alias (
	id INTEGER NOT NULL, 
	entity_id INTEGER NOT NULL, 
	name VARCHAR NOT NULL, 
	name_key VARCHAR NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_entity_alias_key UNIQUE (entity_id, name_key), 
	FOREIGN KEY(entity_id) REFERENCES entity (id) ON DELETE CASCADE
);

-- table import_log on import_log
CREATE TABLE "import_log" (
	id INTEGER NOT NULL, 
	batch VARCHAR(40) NOT NULL, 
	source VARCHAR NOT NULL, 
	outcome VARCHAR(16) NOT NULL, 
	reason VARCHAR DEFAULT ('') NOT NULL, 
	article_id INTEGER, 
	title VARCHAR, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT ck_import_outcome CHECK (outcome IN ('imported', 'duplicate', 'failed', 'cancelled')), 
	FOREIGN KEY(article_id) REFERENCES article (id) ON DELETE SET NULL
);

-- table label on label
CREATE TABLE label (
	id INTEGER NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	kind VARCHAR(16) DEFAULT 'entity' NOT NULL, 
	color VARCHAR(16) DEFAULT '#888888' NOT NULL, 
	shortcut VARCHAR(32), 
	description VARCHAR DEFAULT '' NOT NULL, 
	position INTEGER DEFAULT '0' NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT ck_label_kind CHECK (kind IN ('entity', 'claim')), 
	UNIQUE (name), 
	UNIQUE (shortcut)
);

-- table review_rejection on review_rejection
CREATE TABLE review_rejection (
	id INTEGER NOT NULL, 
	article_id INTEGER NOT NULL, 
	start INTEGER NOT NULL, 
	"end" INTEGER NOT NULL, 
	label_id INTEGER NOT NULL, 
	reviewer VARCHAR(128) DEFAULT '' NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_review_rejection_identity UNIQUE (article_id, start, "end", label_id), 
	CONSTRAINT ck_review_rejection_range CHECK (start >= 0 AND start < "end"), 
	FOREIGN KEY(article_id) REFERENCES article (id) ON DELETE CASCADE, 
	FOREIGN KEY(label_id) REFERENCES label (id) ON DELETE CASCADE
);

-- table span on span
CREATE TABLE span (
	id INTEGER NOT NULL, 
	article_id INTEGER NOT NULL, 
	start INTEGER NOT NULL, 
	"end" INTEGER NOT NULL, 
	label_id INTEGER NOT NULL, 
	text VARCHAR NOT NULL, 
	annotator VARCHAR(128) DEFAULT '' NOT NULL, 
	origin VARCHAR(16) DEFAULT 'manual' NOT NULL, 
	attributes VARCHAR DEFAULT '{}' NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, entity_id INTEGER REFERENCES entity (id) ON DELETE SET NULL, claimant_id INTEGER REFERENCES entity (id) ON DELETE SET NULL, claim_date TEXT, claim_verdict TEXT, claim_claimant TEXT, claim_site TEXT, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_span_identity UNIQUE (article_id, start, "end", label_id, annotator), 
	CONSTRAINT ck_span_range CHECK (start >= 0 AND start < "end"), 
	CONSTRAINT ck_span_origin CHECK (origin IN ('manual', 'imported', 'suggested')), 
	FOREIGN KEY(article_id) REFERENCES article (id) ON DELETE CASCADE, 
	FOREIGN KEY(label_id) REFERENCES label (id) ON DELETE RESTRICT
);

-- table suggestion on suggestion
CREATE TABLE suggestion (
	id INTEGER NOT NULL, 
	article_id INTEGER NOT NULL, 
	start INTEGER NOT NULL, 
	"end" INTEGER NOT NULL, 
	label_id INTEGER NOT NULL, 
	score FLOAT NOT NULL, 
	source VARCHAR DEFAULT '' NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT ck_suggestion_range CHECK (start >= 0 AND start < "end"), 
	CONSTRAINT uq_suggestion_identity UNIQUE (article_id, start, "end", label_id), 
	FOREIGN KEY(article_id) REFERENCES article (id) ON DELETE CASCADE, 
	FOREIGN KEY(label_id) REFERENCES label (id) ON DELETE CASCADE
);

-- table suggestion_rejection on suggestion_rejection
CREATE TABLE suggestion_rejection (
	id INTEGER NOT NULL, 
	article_id INTEGER NOT NULL, 
	start INTEGER NOT NULL, 
	"end" INTEGER NOT NULL, 
	label_id INTEGER NOT NULL, 
	text VARCHAR NOT NULL, 
	annotator VARCHAR(128) DEFAULT '' NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT ck_suggestion_rejection_range CHECK (start >= 0 AND start < "end"), 
	CONSTRAINT uq_suggestion_rejection_identity UNIQUE (article_id, start, "end", label_id), 
	FOREIGN KEY(article_id) REFERENCES article (id) ON DELETE CASCADE, 
	FOREIGN KEY(label_id) REFERENCES label (id) ON DELETE CASCADE
);

-- trigger span_end_in_text on span
CREATE TRIGGER span_end_in_text BEFORE INSERT ON span WHEN NEW."end" > (SELECT length(text) FROM article INDEXED BY ix_article_text_chars WHERE id = NEW.article_id) BEGIN SELECT RAISE(ABORT, 'span end is past the end of the article text'); END;

-- trigger span_end_in_text_update on span
CREATE TRIGGER span_end_in_text_update BEFORE UPDATE OF "end", article_id ON span WHEN NEW."end" > (SELECT length(text) FROM article INDEXED BY ix_article_text_chars WHERE id = NEW.article_id) BEGIN SELECT RAISE(ABORT, 'span end is past the end of the article text'); END;

-- trigger span_json_article_text on article
CREATE TRIGGER span_json_article_text AFTER UPDATE OF text ON article BEGIN DELETE FROM article_span_json WHERE article_id = NEW.id; END;

-- trigger span_json_label_rename on label
CREATE TRIGGER span_json_label_rename AFTER UPDATE OF name ON label BEGIN DELETE FROM article_span_json WHERE article_id IN (SELECT article_id FROM span WHERE label_id = NEW.id); END;

-- trigger span_json_span_delete on span
CREATE TRIGGER span_json_span_delete AFTER DELETE ON span BEGIN DELETE FROM article_span_json WHERE article_id = OLD.article_id; END;

-- trigger span_json_span_insert on span
CREATE TRIGGER span_json_span_insert AFTER INSERT ON span BEGIN DELETE FROM article_span_json WHERE article_id = NEW.article_id; END;

-- trigger span_json_span_update on span
CREATE TRIGGER span_json_span_update AFTER UPDATE OF article_id, start, "end", label_id, text, annotator, origin, attributes, created_at, updated_at, entity_id, claimant_id ON span BEGIN DELETE FROM article_span_json WHERE article_id IN (OLD.article_id, NEW.article_id); END;

-- article_fts_config hashsize = 33554432
-- article_fts_config version = 4
-- alembic 0021

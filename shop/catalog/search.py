"""Full-text search of the catalogue: name, summary, description and ingredient names.

Each product keeps the names of its ingredients in `products.ingredient_names` (one line of
text, so a search reads one table). The session keeps that column, and on SQLite the FTS5
index, in step with every flush that adds, changes or removes a product or an ingredient: code
that saves products needs to do nothing for its changes to be searchable, and the same flush
marks the catalogue changed (shop/catalog/cache.py), so a cached answer to a search never
outlives the edit it depends on.

- PostgreSQL: `to_tsvector('english', name || summary || description || ingredient_names)`
  with a GIN expression index, plus `pg_trgm` word similarity against the name and the
  ingredient names (a trigram GIN index on the name), so a word one letter off still finds it.
- SQLite: an FTS5 table `products_fts` (rowid = product id, porter stemming, prefix matches),
  ranked by bm25 with the name weighted highest.

Either way a product whose name holds the text ranks first, and a plain substring of the name
or summary matches as well (the search box is also how people look for "R&R" or "100%").

These objects live outside SQLAlchemy's metadata (Alembic's autogenerate skips them by name:
`SEARCH_OBJECTS`, migrations/env.py). The migration creates them on a database it upgrades;
`create_all` (tests, a fresh development database) creates them through the `after_create`
hook on the products table below.
"""
import re

from sqlalchemy import (
    DDL, Float, Integer, String, bindparam, case, event, func, literal_column, or_, select, text,
)
from sqlalchemy import bindparam, inspect
from sqlalchemy.orm import Session

from shop.catalog.models import Ingredient, Product

FTS_TABLE = "products_fts"
PG_SEARCH_INDEX = "ix_products_search_document"
PG_NAME_TRIGRAM_INDEX = "ix_products_name_trgm"
# Names Alembic's autogenerate must not compare (the FTS5 table and its shadow tables too).
SEARCH_OBJECTS = (FTS_TABLE, PG_SEARCH_INDEX, PG_NAME_TRIGRAM_INDEX)

# The document as PostgreSQL indexes it; a query must use the same expression to use the index.
PG_DOCUMENT = ("to_tsvector('english'::regconfig, products.name || ' ' || products.summary || ' ' || "
               "products.description || ' ' || products.ingredient_names)")

SQLITE_DDL = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "name, summary, description, ingredients, tokenize = 'porter unicode61 remove_diacritics 2')",
]
POSTGRES_DDL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS {PG_SEARCH_INDEX} ON products USING gin (({PG_DOCUMENT.replace('products.', '')}))",
    f"CREATE INDEX IF NOT EXISTS {PG_NAME_TRIGRAM_INDEX} ON products USING gin (name gin_trgm_ops)",
]

# bm25 weights of the FTS5 columns: name, summary, description, ingredients.
_BM25 = f"bm25({FTS_TABLE}, 10.0, 4.0, 1.0, 2.0)"
_WORD = re.compile(r"\w+", re.UNICODE)
# pg_trgm's word similarity needs a few letters to mean anything.
_MIN_FUZZY_LENGTH = 4


for _statement in SQLITE_DDL:
    event.listen(Product.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRES_DDL:
    event.listen(Product.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's `include_object`: leave out the search objects the database has and the
    models' metadata deliberately does not (migrations/env.py, and any schema comparison)."""
    return not (reflected and compare_to is None and name and name.startswith(SEARCH_OBJECTS))


def escape_like(text_: str) -> str:
    """Make `%`, `_` and the escape character itself match literally in LIKE."""
    return text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(query, q: str, dialect: str):
    """`query` (a select of products) narrowed to those matching `q`, best match first."""
    pattern = f"%{escape_like(q.lower())}%"
    name_hit = func.lower(Product.name).like(pattern, escape="\\")
    summary_hit = func.lower(Product.summary).like(pattern, escape="\\")
    if dialect == "postgresql":
        return _postgres(query, q, name_hit, summary_hit)
    return _sqlite(query, q, name_hit, summary_hit)


def _postgres(query, q: str, name_hit, summary_hit):
    tsquery = func.plainto_tsquery(literal_column("'english'::regconfig"), bindparam("search_q", q, String))
    document = literal_column(PG_DOCUMENT)
    text_hit = document.op("@@")(tsquery)
    hits = [name_hit, summary_hit, text_hit]
    order = [name_hit.desc(), func.ts_rank(document, tsquery).desc()]
    if len(q) >= _MIN_FUZZY_LENGTH:
        q_param = bindparam("search_fuzzy", q, String)
        fuzzy_name = q_param.op("<%")(Product.name)
        hits += [fuzzy_name, q_param.op("<%")(Product.ingredient_names)]
        order = [name_hit.desc(), fuzzy_name.desc(), func.ts_rank(document, tsquery).desc(),
                 func.word_similarity(q_param, Product.ingredient_names).desc()]
    return query.where(or_(*hits)).order_by(*order, Product.name, Product.id)


def _sqlite(query, q: str, name_hit, summary_hit):
    words = _WORD.findall(q.lower())
    if not words:
        return query.where(or_(name_hit, summary_hit)).order_by(
            case((name_hit, 0), else_=1), Product.name, Product.id)
    # Each word a quoted term, all required: nothing the user typed is FTS5 syntax. A word of
    # three letters or more also matches as a prefix ("glycin" finds glycinate).
    match = " ".join(f'"{word}"*' if len(word) >= 3 else f'"{word}"' for word in words)
    # The table and ranking are this module's constants; what the user typed is a bound parameter.
    fts = text(f"SELECT rowid AS product_id, {_BM25} AS rank FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :search_match")  # nosec B608
    fts = fts.bindparams(search_match=match).columns(product_id=Integer, rank=Float).subquery("fts")
    return (
        query.outerjoin(fts, fts.c.product_id == Product.id)
        .where(or_(fts.c.product_id.is_not(None), name_hit, summary_hit))
        .order_by(case((name_hit, 0), else_=1), func.coalesce(fts.c.rank, 0.0), Product.name, Product.id)
    )


# --- keeping the index in step ----------------------------------------------------------------

_TEXT_FIELDS = ("name", "summary", "description")


@event.listens_for(Session, "after_flush")
def _note_changed_products(session: Session, flush_context) -> None:
    changed: set[int] = set()
    removed: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Product):
            if obj in session.deleted:
                removed.add(obj.id)
            elif obj in session.new or session.is_modified(obj) and _text_changed(obj):
                changed.add(obj.id)
        elif isinstance(obj, Ingredient):
            product_id = obj.product_id
            if product_id is None and obj.product is not None:
                product_id = obj.product.id
            if product_id is not None:
                changed.add(product_id)
    if changed or removed:
        refresh(session, changed - removed, removed)


def _text_changed(product: Product) -> bool:
    state = inspect(product)
    return any(state.attrs[name].history.has_changes() for name in _TEXT_FIELDS)


def refresh(session: Session, product_ids: set[int], removed: set[int] = frozenset()) -> None:
    """Rewrite the search data of these products from what the database holds now."""
    connection = session.connection()
    dialect = connection.dialect.name
    ids = sorted(product_ids)
    if ids:
        names: dict[int, list[str]] = {i: [] for i in ids}
        rows = connection.execute(
            select(Ingredient.product_id, Ingredient.name)
            .where(Ingredient.product_id.in_(ids)).order_by(Ingredient.product_id, Ingredient.position, Ingredient.id)
        )
        for product_id, name in rows:
            names[product_id].append(name)
        connection.execute(
            Product.__table__.update().where(Product.__table__.c.id == bindparam("pid"))
            .values(ingredient_names=bindparam("names")),
            [{"pid": i, "names": " ".join(names[i])} for i in ids],
        )
        for product in session.identity_map.values():
            if isinstance(product, Product) and product.id in product_ids:
                session.expire(product, ["ingredient_names"])
    if dialect != "sqlite":
        return
    gone = sorted(set(ids) | set(removed))
    if gone:
        delete = text(f"DELETE FROM {FTS_TABLE} WHERE rowid IN :ids")  # nosec B608  (a constant table; bound ids)
        connection.execute(delete.bindparams(bindparam("ids", expanding=True)), {"ids": gone})
    if ids:
        insert = text(f"INSERT INTO {FTS_TABLE} (rowid, name, summary, description, ingredients) "  # nosec B608
                      "SELECT id, name, summary, description, ingredient_names FROM products WHERE id IN :ids")
        connection.execute(insert.bindparams(bindparam("ids", expanding=True)), {"ids": sorted(ids)})


def rebuild_all(session: Session) -> int:
    """Rebuild every product's search data (after raw SQL or a restore); returns how many."""
    ids = set(session.scalars(select(Product.id)))
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text(f"DELETE FROM {FTS_TABLE}"))  # nosec B608  (a constant table)
    refresh(session, ids)
    return len(ids)



from dotbox.snapshots import diff

A = """
CREATE TABLE public.users (id integer NOT NULL, email text, CONSTRAINT users_pkey PRIMARY KEY (id));
CREATE TABLE public.gone (a int);
CREATE INDEX users_email ON public.users USING btree (email);
CREATE FUNCTION public.f(a integer, b text) RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
CREATE FUNCTION public.g() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
CREATE VIEW public.v AS SELECT id FROM public.users;
"""
B = """
-- reordered, reformatted, commented: none of that counts
CREATE VIEW public.v AS SELECT id FROM public.users;
CREATE FUNCTION public.f(a integer, b text) RETURNS integer LANGUAGE sql AS $$ SELECT 2 $$;
CREATE FUNCTION public.f(a integer) RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;
CREATE   FUNCTION public.g() RETURNS integer
  LANGUAGE sql AS $$ SELECT 1 $$;
CREATE TABLE public.users (id integer NOT NULL, email varchar(255), nick text);
ALTER TABLE ONLY public.users ADD CONSTRAINT users_pkey PRIMARY KEY (id);
ALTER TABLE ONLY public.users ADD CONSTRAINT users_email_key UNIQUE (email);
CREATE INDEX users_email ON public.users USING hash (email);
"""


def test_diff_object_by_object() -> None:
    d = diff.diff("a", A, "b", B)
    assert d.added == ["function public.f(int4)"]
    assert d.removed == ["table public.gone"]
    changed = {c.object: c.details for c in d.changed}
    assert set(changed) == {
        "function public.f(int4, text)",
        "index public.users_email",
        "table public.users",
    }
    assert changed["table public.users"] == [
        "column nick added (text)",
        "column email: text -> varchar(255)",
        "constraint users_email_key added",
    ]
    assert changed["function public.f(int4, text)"][0].startswith("body changed")
    assert changed["index public.users_email"] == ["definition changed"]


def test_same_ddl_is_the_same() -> None:
    d = diff.diff("a", A, "b", A)
    assert d.same and d.model_dump()["changed"] == []

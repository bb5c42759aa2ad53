-- psql 15 counts BEGIN in `CREATE FUNCTION public.begin()` as the start of
-- a BEGIN ATOMIC body and swallows the rest of the dump; biso-recover must
-- restore it (compared against the source database, not against psql).
CREATE FUNCTION public.begin() RETURNS integer LANGUAGE sql AS $$SELECT 1$$;
CREATE TABLE public.after_begin (a integer, b text);
INSERT INTO public.after_begin VALUES (1, 'x;y'), (2, NULL);
CREATE FUNCTION public.atomic(begin integer) RETURNS integer LANGUAGE sql
BEGIN ATOMIC
  SELECT public.begin() + begin;
END;

from pathlib import Path

from backend.local_supabase.migrate import SEED_FILE, seed_files


def test_the_demo_city_comes_first_then_feature_seeds_in_name_order():
    files = seed_files()
    assert files[0] == SEED_FILE
    rest = files[1:]
    assert rest == sorted(rest) and all(p.parent.name == "seeds" and p.suffix == ".sql" for p in rest)


def test_globs_expand_and_a_file_named_twice_runs_once(tmp_path: Path):
    (tmp_path / "seeds").mkdir()
    for name in ("seed.sql", "seeds/b.sql", "seeds/a.sql", "seeds/notes.txt"):
        (tmp_path / name).write_text("select 1;")
    config = tmp_path / "config.toml"
    config.write_text('[db.seed]\nsql_paths = ["./seed.sql", "./seeds/*.sql", "./seeds/a.sql"]\n')
    assert seed_files(config) == [tmp_path / "seed.sql", tmp_path / "seeds/a.sql", tmp_path / "seeds/b.sql"]

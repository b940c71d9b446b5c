"""Run the DVC pipeline from an orchestrator (Prefect, Airflow): the graph comes from dvc.yaml."""

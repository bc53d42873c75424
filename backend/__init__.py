"""Qiyou (七优): the resident-services backend of the Gaozhao sub-district."""

module github.com/hookstack/hookstack

go 1.26
